package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/** libtorch's fused attention through the kernel bridge. */
final class FusedAttention {
  private FusedAttention() {}

  static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision) {
    throw new UnsupportedOperationException("fused attention needs the kernel bridge");
  }
}
