package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/**
 * What every decoder layer of one forward shares.
 *
 * @param cos RoPE table {@code [B, T, D]}
 * @param sin RoPE table {@code [B, T, D]}
 * @param mask additive {@code [B, 1, T, S]}, or null for the fused kernel's own causal path
 * @param slidingMask the mask of sliding-window layers {@code [B, 1, T, S]}, or null when the window
 *     changes nothing for this chunk
 */
public record LayerContext(NDArray cos, NDArray sin, NDArray mask, NDArray slidingMask) {
  /** A context without sliding-window layers. */
  public LayerContext(NDArray cos, NDArray sin, NDArray mask) {
    this(cos, sin, mask, null);
  }
}
