package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/**
 * One forward of {@link CausalLM#hiddenStates} (without a cache) split at decoder-layer boundaries, for
 * activation checkpointing: {@code finalHidden(layer(L-1, ... layer(0, embed())))} equals
 * {@code hiddenStates(in, null)}, virtual tokens of prompt and prefix tuning included. Each call
 * recomputes its step, so a step can be run without autograd and again with it.
 */
public interface LayerPlan {
  /** The first layer's input {@code [B, T', H]} (T' = n + T with prompt tuning). */
  NDArray embed();

  /** Decoder layer {@code i}: {@code [B, T', H] -> [B, T', H]}. */
  NDArray layer(int i, NDArray x);

  /** Final norm, virtual positions dropped: {@code [B, T, H]}. */
  NDArray finalHidden(NDArray x);

  /** Whether {@link #embed} has trainable inputs apart from the token embeddings (prompt tuning). */
  boolean embedTrains();
}
