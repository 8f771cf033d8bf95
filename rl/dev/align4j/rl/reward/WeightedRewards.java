package dev.align4j.rl.reward;

import java.util.List;

/**
 * The weighted sum of several reward functions' scores, as TRL's GRPO/RLOO trainers combine them
 * ({@code multi_objective_aggregation="sum_then_normalize"}): {@code r = nansum_k w_k r_k}; a score of
 * null (NaN) is left out, and a completion that EVERY function skipped gets NaN (unscorable: excluded
 * from group baselines, advantage 0).
 */
public final class WeightedRewards {
  private WeightedRewards() {}

  /**
   * Combines per-function scores.
   *
   * @param perFunction {@code [N][K]} scores, NaN where a function returned null
   * @param weights {@code K} weights (TRL {@code reward_weights}, default all 1)
   * @return {@code N} combined rewards, NaN for unscorable completions
   */
  public static double[] combine(double[][] perFunction, double[] weights) {
    double[] out = new double[perFunction.length];
    for (int i = 0; i < perFunction.length; i++) {
      if (perFunction[i].length != weights.length) {
        throw new IllegalArgumentException("completion " + i + " has " + perFunction[i].length
            + " reward scores but there are " + weights.length + " weights");
      }
      double s = 0;
      boolean any = false;
      for (int k = 0; k < weights.length; k++) {
        double v = perFunction[i][k];
        if (!Double.isNaN(v)) {
          s += v * weights[k];
          any = true;
        }
      }
      out[i] = any ? s : Double.NaN;
    }
    return out;
  }

  /** Scores {@code inputs} with every function: {@code [N][K]}, NaN where a function returned null. */
  public static double[][] scoreAll(List<RewardFunction> functions, List<RewardInput> inputs) {
    double[][] out = new double[inputs.size()][functions.size()];
    for (int k = 0; k < functions.size(); k++) {
      List<Double> s = functions.get(k).scoreAll(inputs);
      if (s.size() != inputs.size()) {
        throw new IllegalStateException("reward function " + functions.get(k).name() + " returned "
            + s.size() + " scores for " + inputs.size() + " completions");
      }
      for (int i = 0; i < inputs.size(); i++) {
        out[i][k] = s.get(i) == null ? Double.NaN : s.get(i);
      }
    }
    return out;
  }
}
