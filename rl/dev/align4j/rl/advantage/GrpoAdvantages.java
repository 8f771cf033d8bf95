package dev.align4j.rl.advantage;

/**
 * GRPO's group-relative advantages (Shao et al. 2024, "DeepSeekMath", eq. 3 with outcome supervision:
 * {@code A_i = (r_i - mean(r)) / std(r)}), as TRL's {@code GRPOTrainer._generate_and_score_completions}:
 * rows {@code g*G .. g*G+G-1} are the G completions of one prompt; {@code A = (r - group nanmean) /
 * (std + 1e-4)} with the Bessel nanstd of the group ({@link ScaleRewards#GROUP}) or of the batch
 * ({@link ScaleRewards#BATCH}); {@link ScaleRewards#NONE} only centres (Dr. GRPO, Liu et al. 2025).
 * NaN rewards (unscorable) are left out of the statistics and get advantage 0.
 */
public final class GrpoAdvantages {
  /** TRL's epsilon added to the std. */
  public static final double EPS = 1e-4;

  private GrpoAdvantages() {}

  /**
   * {@code multi_objective_aggregation="sum_then_normalize"} (TRL's default).
   *
   * @param rewards combined rewards {@code [N]} (see {@link dev.align4j.rl.reward.WeightedRewards}), NaN =
   *     unscorable
   * @param groupSize {@code num_generations}
   */
  public static GroupAdvantages compute(double[] rewards, int groupSize, ScaleRewards scale) {
    int n = rewards.length;
    NanStats.requireGroups(n, groupSize);
    double[] adv = new double[n];
    boolean[] zero = new boolean[n];
    double batchStd = n > 1 ? NanStats.nanstd(rewards, 0, n) : 0.0;
    for (int g = 0; g < n; g += groupSize) {
      double mean = NanStats.nanmean(rewards, g, g + groupSize);
      double std = switch (scale) {
        case GROUP, NONE -> groupSize > 1 ? NanStats.nanstd(rewards, g, g + groupSize) : 0.0;
        case BATCH -> batchStd;
      };
      for (int k = g; k < g + groupSize; k++) {
        double a = rewards[k] - mean;
        if (scale != ScaleRewards.NONE) {
          a = a / (std + EPS);
        }
        adv[k] = Double.isNaN(a) ? 0.0 : a;
        zero[k] = NanStats.isZero(std);
      }
    }
    return new GroupAdvantages(adv, zero);
  }

  /**
   * {@code multi_objective_aggregation="normalize_then_sum"}: each function's scores are normalised in
   * their group first ({@code (r_k - mean_k) / (std_k + 1e-4)}), weighted and summed, then the sums are
   * normalised over the batch ({@code (r - nanmean) / (nanstd + 1e-4)}).
   *
   * @param perFunction {@code [N][K]} scores, NaN where a function returned null
   * @param weights {@code K} reward weights
   */
  public static GroupAdvantages normalizeThenSum(double[][] perFunction, double[] weights, int groupSize) {
    int n = perFunction.length;
    NanStats.requireGroups(n, groupSize);
    int k = weights.length;
    double[] rewards = new double[n];
    for (int f = 0; f < k; f++) {
      double[] col = new double[n];
      for (int i = 0; i < n; i++) {
        col[i] = perFunction[i][f];
      }
      for (int g = 0; g < n; g += groupSize) {
        double mean = NanStats.nanmean(col, g, g + groupSize);
        double std = groupSize > 1 ? NanStats.nanstd(col, g, g + groupSize) : 0.0;
        for (int i = g; i < g + groupSize; i++) {
          double z = (col[i] - mean) / (std + EPS);
          if (!Double.isNaN(z)) {
            rewards[i] += z * weights[f];
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      boolean any = false;
      for (int f = 0; f < k; f++) {
        any |= !Double.isNaN(perFunction[i][f]);
      }
      if (!any) {
        rewards[i] = Double.NaN;
      }
    }
    double std = n > 1 ? NanStats.nanstd(rewards, 0, n) : 0.0;
    double mean = NanStats.nanmean(rewards, 0, n);
    double[] adv = new double[n];
    boolean[] zero = new boolean[n];
    for (int i = 0; i < n; i++) {
      double a = (rewards[i] - mean) / (std + EPS);
      adv[i] = Double.isNaN(a) ? 0.0 : a;
      zero[i] = NanStats.isZero(std);
    }
    return new GroupAdvantages(adv, zero);
  }
}
