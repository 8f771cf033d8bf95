package dev.align4j.peft.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * Picks next tokens from processed scores ({@link LogitsProcessors}) on the scores' device; only
 * the chosen ids {@code [B]} need to reach the host.
 *
 * <p>Sampling is an inverse-CDF draw in vocabulary order from one uniform per row: the uniforms come
 * from a seeded Java generator per row, so a row's draws do not depend on the engine's random state,
 * on the device or on which other rows share its batch.
 *
 * <p>Legend: B rows, V vocabulary.
 */
public final class Sampler {
  private Sampler() {}

  /** The arg-max of a host row (first index on ties, as torch.argmax). */
  public static int greedy(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The arg-max of each row {@code [B, V] -> [B]} int64 (first index on ties). */
  public static NDArray greedy(NDArray scores) {
    return scores.argMax(1);
  }

  /** The distribution sampling draws from: {@code softmax(scores)} {@code [B, V]}, zero where removed. */
  public static NDArray probabilities(NDArray scores) {
    return scores.softmax(1);
  }

  /**
   * Draws one token per row from {@code softmax(scores)}: with {@code c} the cumulative
   * probabilities in vocabulary order, the token is the first index with {@code c > u * c[V-1]},
   * i.e. the count of entries {@code <= u * c[V-1]}. Removed tokens add nothing to {@code c}, so they
   * are never chosen; the count is capped at the last token of positive probability against
   * rounding at {@code u} near 1.
   *
   * @param scores {@code [B, V]} float32 with {@code -inf} for removed tokens
   * @param uniforms {@code [B, 1]} float64 in [0, 1)
   * @return {@code [B]} int64
   */
  public static NDArray draw(NDArray scores, NDArray uniforms) {
    NDArray cdf = scores.toType(DataType.FLOAT64, false).softmax(1).cumSum(1);      // [B, V]
    NDArray total = cdf.get(":, -1:");                                              // [B, 1]
    NDArray below = cdf.lte(uniforms.mul(total)).sum(new int[] {1});                // [B]
    NDArray lastPositive = cdf.lt(total).sum(new int[] {1});                        // [B]
    return NDArrays.minimum(below, lastPositive).toType(DataType.INT64, false);
  }
}
