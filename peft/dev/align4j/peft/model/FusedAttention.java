package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.Kernels;

/**
 * libtorch's fused attention through the kernel bridge; a single query (a decoding step) takes the
 * composed path, since fusing gains nothing there and one bridge call costs more than the attention
 * of a decoding step itself (about 1-2 ms against 0.1-0.5 ms, measured on the SmolLM2-135M shape).
 */
final class FusedAttention {
  private FusedAttention() {}

  static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision) {
    if (q.getShape().get(2) == 1 && mask != null) {
      return AttentionKernel.singleQuery(q, k, v, mask, precision);
    }
    return Kernels.get().sdpa(q, k, v, mask);
  }
}
