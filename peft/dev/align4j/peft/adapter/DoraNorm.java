package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.kernels.Kernels;

/** The weight arithmetic of LoRA and DoRA merges. */
final class DoraNorm {
  private DoraNorm() {}

  /** {@code ||W + s B A||} over each output row (L2 over the input axis), in float32: {@code [out]}. */
  static NDArray rowNorm(NDArray w, NDArray a, NDArray b, double scaling) {
    NDArray ba = f32(b).matMul(f32(a));                                    // [out, in]
    NDArray full = f32(w).add(ba.mul(Kernels.scalar(ba, scaling)));       // [out, in]
    return full.square().sum(new int[] {1}).sqrt();                        // [out]
  }

  /**
   * DoRA's per-row factor {@code m / ||W + s B A||} with the norm detached (Liu et al. 2024, sec. 4.3),
   * in the dtype of {@code magnitude}.
   */
  static NDArray magnitudeScale(NDArray magnitude, NDArray w, NDArray a, NDArray b, double scaling) {
    NDArray scale = f32(magnitude).div(rowNorm(w, a, b, scaling).stopGradient());   // [out]
    return DTypeGuard.isDjlType(magnitude) ? scale.toType(magnitude.getDataType(), false)
        : Kernels.get().toBFloat16(scale);
  }

  private static NDArray f32(NDArray x) {
    return DTypeGuard.isDjlType(x) ? x : Kernels.get().toFloat32(x);
  }

  /**
   * The merged weight: {@code W + s B A} for LoRA; {@code m / ||W + s B A|| * (W + s B A)} row-wise for
   * DoRA (PEFT's merge).
   */
  static NDArray mergedWeight(NDArray w, LoraWeights lw) {
    // bfloat16 weights (trained without masters) are merged in float32, as PEFT merges on the CPU, and
    // rounded once where the result is stored; a Java scalar of a bfloat16 array would abort the JVM.
    // f32 is the identity for float32/float64 arrays, and a bfloat16 base plus float32 LoRA weights
    // promoted to float32 before.
    NDArray a = f32(lw.a().data());
    NDArray b = f32(lw.b().data());
    NDArray ba = b.matMul(a);                                               // [out, in]
    NDArray full = f32(w).add(ba.mul(Kernels.scalar(ba, lw.scaling())));   // [out, in]
    if (lw.magnitude() == null) {
      return full;
    }
    NDArray norm = full.square().sum(new int[] {1}, true).sqrt();           // [out, 1]
    return full.mul(lw.magnitude().data().expandDims(1).div(norm));         // [out, in]
  }
}
