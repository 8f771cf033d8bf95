package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.Kernels;

/** libtorch's fused attention through the kernel bridge. */
final class FusedAttention {
  private FusedAttention() {}

  static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision) {
    return Kernels.get().sdpa(q, k, v, mask);
  }
}
