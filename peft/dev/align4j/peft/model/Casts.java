package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Every dtype move of the model in one place: master and compute copies, and the float32 islands
 * (norms, softmax, log-probs) inside a bfloat16 forward.
 */
final class Casts {
  private Casts() {}

  /** The float32/float64 master of a tensor (itself when already so). */
  static NDArray toMaster(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
    }
    return x.getDataType() == p.masterType() ? x : x.toType(p.masterType(), false);
  }

  /** The compute-dtype view of a master; differentiable. */
  static NDArray toCompute(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
    }
    DataType want = p.masterType();
    if (x.getDataType() != want) {
      throw new IllegalStateException("expected " + want + " but tensor is " + x.getDataType());
    }
    return x;
  }

  /** A float32 (float64 under FLOAT64) copy of a compute tensor, for norms and softmax. */
  static NDArray upcast(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
    }
    return x;
  }

  /** Back from an {@link #upcast} island to the compute dtype; differentiable. */
  static NDArray downcast(NDArray x, Precision p) {
    if (p == Precision.BFLOAT16) {
      throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
    }
    return x;
  }

  /** A constant float32 table (RoPE, masks) in the compute dtype; not differentiable. */
  static NDArray constant(NDArray f32, Precision p) {
    return switch (p) {
      case FLOAT32 -> f32;
      case FLOAT64 -> f32.toType(DataType.FLOAT64, false);
      case BFLOAT16 -> throw new UnsupportedOperationException(
          "bfloat16 compute needs the kernel bridge");
    };
  }

  /** Raw little-endian bfloat16 bytes ({@code uint8 [2n]}) as a bfloat16 tensor of {@code shape}. */
  static NDArray bf16FromBytes(NDArray bytes, ai.djl.ndarray.types.Shape shape) {
    throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
  }

  /** A bfloat16 tensor's raw bytes as {@code uint8 [2n]}. */
  static NDArray rawBytes(NDArray bf16) {
    throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
  }

  /** A bfloat16 tensor widened to float32 (not differentiable). */
  static NDArray bf16ToFloat32(NDArray bf16) {
    throw new UnsupportedOperationException("bfloat16 compute needs the kernel bridge");
  }
}
