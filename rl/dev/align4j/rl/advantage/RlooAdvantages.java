package dev.align4j.rl.advantage;

import dev.align4j.rl.TokenArrays;
import dev.align4j.rl.reward.RewardClip;

/**
 * RLOO's leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics", eq. 6: {@code A_i = r_i -
 * 1/(k-1) sum_{j != i} r_j}), as TRL's {@code RLOOTrainer._generate_and_score_completions}: rewards are
 * clipped, the sequence KL {@code beta * sum_t (logp_old - logp_ref)} (k1) is taken off, the baseline
 * averages the scorable siblings ({@code (nansum - r) / (count - 1)}), optionally normalised over the
 * batch ({@code (A - nanmean) / (nanstd + 1e-4)}); NaN (unscorable) advantages become 0.
 */
public final class RlooAdvantages {
  private RlooAdvantages() {}

  /**
   * The options of one call.
   *
   * @param groupSize {@code num_generations}, at least 2
   * @param beta the KL coefficient (TRL RLOO default 0.05; 0 = no KL)
   * @param clip reward clip range, or null
   * @param normalize {@code normalize_advantages}
   */
  public record Options(int groupSize, double beta, RewardClip clip, boolean normalize) {
    /** Validates. */
    public Options {
      if (groupSize < 2) {
        throw new IllegalArgumentException("RLOO needs num_generations >= 2, got " + groupSize);
      }
      if (!Double.isFinite(beta)) {
        throw new IllegalArgumentException("beta must be finite, got " + beta);
      }
    }
  }

  /** Per-sequence k1 KL {@code sum_t (oldLogp - refLogp) * mask} {@code [B]}. */
  public static double[] sequenceKl(double[][] oldLogp, double[][] refLogp, boolean[][] mask) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    TokenArrays.requireShape("oldLogp", oldLogp, b, t);
    TokenArrays.requireShape("refLogp", refLogp, b, t);
    double[] out = new double[b];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        double d = oldLogp[i][j] - refLogp[i][j];
        out[i] += mask[i][j] ? d : 0.0 * d;
      }
    }
    return out;
  }

  /**
   * Advantages.
   *
   * @param rewards combined rewards {@code [N]}, NaN = unscorable
   * @param sequenceKl {@link #sequenceKl} {@code [N]}, or null when beta is 0
   */
  public static GroupAdvantages compute(double[] rewards, double[] sequenceKl, Options o) {
    int n = rewards.length;
    int gs = o.groupSize();
    NanStats.requireGroups(n, gs);
    double[] r = o.clip() == null ? rewards.clone() : o.clip().apply(rewards);
    if (o.beta() != 0.0) {
      TokenArrays.requireLength("sequenceKl", sequenceKl, n);
      for (int i = 0; i < n; i++) {
        r[i] = r[i] - o.beta() * sequenceKl[i];
      }
    }
    double[] adv = new double[n];
    boolean[] zero = new boolean[n];
    for (int g = 0; g < n; g += gs) {
      double sum = NanStats.nansum(r, g, g + gs);
      int count = NanStats.count(r, g, g + gs);
      double std = NanStats.nanstd(r, g, g + gs);
      for (int i = g; i < g + gs; i++) {
        adv[i] = r[i] - (sum - r[i]) / (count - 1);
        zero[i] = NanStats.isZero(std);
      }
    }
    if (o.normalize()) {
      double mean = NanStats.nanmean(adv, 0, n);
      double std = NanStats.nanstd(adv, 0, n);
      for (int i = 0; i < n; i++) {
        adv[i] = (adv[i] - mean) / (std + GrpoAdvantages.EPS);
      }
    }
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(adv[i])) {
        adv[i] = 0.0;
      }
    }
    return new GroupAdvantages(adv, zero);
  }
}
