package dev.align4j.rl.reward;

/**
 * Normalises reward-model scores with the statistics the reward stage saved (OpenRLHF {@code
 * reward.normalize_enable}: {@code (r - mean) / std}, mean and std of the RM's scores on its eval set,
 * stored in the RM's config.json).
 *
 * @param mean mean score
 * @param std standard deviation of the scores, positive
 */
public record RewardNormalization(double mean, double std) {
  /** Validates. */
  public RewardNormalization {
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("reward normalisation mean must be finite, got " + mean);
    }
    if (!(std > 0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("reward normalisation std must be a finite number > 0, got " + std);
    }
  }

  /** {@code (r - mean) / std}. */
  public double apply(double r) {
    return (r - mean) / std;
  }

  /** Normalises every entry into a copy. */
  public double[] apply(double[] r) {
    double[] out = new double[r.length];
    for (int i = 0; i < r.length; i++) {
      out[i] = apply(r[i]);
    }
    return out;
  }
}
