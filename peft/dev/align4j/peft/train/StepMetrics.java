package dev.align4j.peft.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step did.
 *
 * @param step steps completed after this one (1-based)
 * @param loss mean loss over the effective batch's count (0 when the count is 0: update skipped)
 * @param lr learning rate used
 * @param gradNorm global gradient norm before clipping
 * @param count the units the loss is normalised by (target tokens for SFT, pairs, sequences, ...)
 * @param tokensPerSecond all tokens (padding excluded) processed per second; 0 when the objective
 *     does not count tokens
 * @param metrics the objective's named metrics, each a mean over the same count
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, long count, double tokensPerSecond,
    Map<String, Double> metrics) {
  /** Copies the map (insertion order kept). */
  public StepMetrics {
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }
}
