package dev.align4j.rl.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * A rule-based reward written in Java: one score per completion, or {@code null} when the function
 * does not apply to this example (TRL's {@code None}: the score is skipped, and a completion that
 * every function skipped is unscorable; see {@link WeightedRewards}).
 */
@FunctionalInterface
public interface RewardFunction {
  /** The score of one completion, or null to skip it. */
  Double score(RewardInput input);

  /** Scores a batch (default: one by one). Override to batch an expensive judge. */
  default List<Double> scoreAll(List<RewardInput> inputs) {
    List<Double> out = new ArrayList<>(inputs.size());
    for (RewardInput in : inputs) {
      out.add(score(in));
    }
    return out;
  }

  /** The name used in metrics ({@code rewards/<name>/mean}); default: the class's simple name. */
  default String name() {
    return getClass().getSimpleName();
  }
}
