package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;

/**
 * Every dtype move of the model in one place: master and compute copies, and the float32 islands
 * (norms, softmax, log-probs) inside a bfloat16 forward. bfloat16 never reaches DJL's own dtype
 * handling: it goes through the kernel bridge.
 */
final class Casts {
  private Casts() {}

  /** The float32/float64 master of a tensor (itself when already so). */
  static NDArray toMaster(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      return x.getDataType() == DataType.FLOAT32 ? x : Kernels.get().toFloat32(x);
    }
    return x.getDataType() == p.masterType() ? x : x.toType(p.masterType(), false);
  }

  /**
   * A tensor as a parameter without a master stores it: bfloat16 under BFLOAT16 (a bfloat16 tensor
   * itself, anything else rounded once), the master dtype otherwise. Not differentiable.
   */
  static NDArray toStored(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      return x.getDataType() == DataType.UNKNOWN && Kernels.get().isBFloat16(x) ? x
          : Kernels.get().toBFloat16(x.getDataType() == DataType.UNKNOWN ? Kernels.get().toFloat32(x) : x);
    }
    return toMaster(x, p);
  }

  /** The compute-dtype view of a master; differentiable. */
  static NDArray toCompute(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      return Kernels.get().toBFloat16(x);
    }
    if (x.getDataType() != p.masterType()) {
      throw new IllegalStateException("expected " + p.masterType() + " but tensor is " + x.getDataType());
    }
    return x;
  }

  /** A float32 (float64 under FLOAT64) copy of a compute tensor, for norms and softmax. */
  static NDArray upcast(NDArray x, Precision p) {
    return p == Precision.BFLOAT16 ? Kernels.get().toFloat32(x) : x;
  }

  /** Back from an {@link #upcast} island to the compute dtype; differentiable. */
  static NDArray downcast(NDArray x, Precision p) {
    return p == Precision.BFLOAT16 ? Kernels.get().toBFloat16(x) : x;
  }

  /** A constant float32 table (RoPE, masks) in the compute dtype; not differentiable. */
  static NDArray constant(NDArray f32, Precision p) {
    return switch (p) {
      case FLOAT32 -> f32;
      case FLOAT64 -> f32.toType(DataType.FLOAT64, false);
      case BFLOAT16 -> Kernels.get().toBFloat16(f32);
    };
  }

  /** Raw little-endian bfloat16 bytes ({@code uint8 [2n]}) as a bfloat16 tensor of {@code shape}. */
  static NDArray bf16FromBytes(NDArray bytes, Shape shape) {
    return Kernels.get().bf16FromBytes(bytes, shape);
  }

  /** A bfloat16 tensor widened to float32. */
  static NDArray bf16ToFloat32(NDArray bf16) {
    return Kernels.get().toFloat32(bf16);
  }
}
