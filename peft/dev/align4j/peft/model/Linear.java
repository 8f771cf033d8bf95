package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/**
 * A linear map {@code y = x W^T + b} over the last axis. The base implementation is {@link
 * DenseLinear}; adapters (LoRA, DoRA, IA3, QLoRA's 4-bit base) wrap one.
 */
public interface Linear {
  /** Applies the map: {@code [..., in] -> [..., out]}. */
  NDArray forward(NDArray x);

  /** Input features. */
  long inFeatures();

  /** Output features. */
  long outFeatures();
}
