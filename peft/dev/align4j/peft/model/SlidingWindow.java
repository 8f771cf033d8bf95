package dev.align4j.peft.model;

import java.util.List;

/**
 * Sliding-window attention as {@code config.json} sets it: layers in {@code layers} let a query see
 * only the last {@code size} keys ({@code kv_idx > q_idx - size}, transformers'
 * {@code sliding_window_overlay}, on cache positions). {@link CausalLM} gives those layers their own
 * mask once a forward has more than {@code size} keys.
 *
 * @param size the window ({@code sliding_window})
 * @param layers the indices of the sliding layers (Mistral: all; Qwen2/Qwen3: from {@code
 *     layer_types} or {@code max_window_layers})
 */
public record SlidingWindow(int size, List<Integer> layers) {
  /** Validates the window. */
  public SlidingWindow {
    if (size <= 0) {
      throw new IllegalArgumentException("config: sliding_window must be > 0, got " + size);
    }
    layers = List.copyOf(layers);
  }

  /** Whether it changes attention over {@code keys} keys: some sliding layer and more keys than the window. */
  public boolean activeFor(long keys) {
    return !layers.isEmpty() && keys > size;
  }
}
