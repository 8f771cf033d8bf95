package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;

/** The weight arithmetic of LoRA and DoRA merges. */
final class DoraNorm {
  private DoraNorm() {}

  /** {@code ||W + s B A||} over each output row (L2 over the input axis): {@code [out]}. */
  static NDArray rowNorm(NDArray w, NDArray a, NDArray b, double scaling) {
    NDArray full = w.add(b.matMul(a).mul((float) scaling));                 // [out, in]
    return full.square().sum(new int[] {1}).sqrt();                        // [out]
  }

  /**
   * The merged weight: {@code W + s B A} for LoRA; {@code m / ||W + s B A|| * (W + s B A)} row-wise for
   * DoRA (PEFT's merge).
   */
  static NDArray mergedWeight(NDArray w, LoraWeights lw) {
    NDArray a = lw.a().data();
    NDArray b = lw.b().data();
    NDArray full = w.add(b.matMul(a).mul((float) lw.scaling()));           // [out, in]
    if (lw.magnitude() == null) {
      return full;
    }
    NDArray norm = full.square().sum(new int[] {1}, true).sqrt();           // [out, 1]
    return full.mul(lw.magnitude().data().expandDims(1).div(norm));         // [out, in]
  }
}
