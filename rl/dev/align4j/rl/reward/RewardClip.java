package dev.align4j.rl.reward;

/**
 * Clamps sequence rewards into {@code [low, high]} (OpenRLHF {@code reward.clip_range}, default
 * (-10, 10); TRL RLOO {@code reward_clip_range}).
 *
 * @param low lower bound
 * @param high upper bound, at least {@code low}
 */
public record RewardClip(double low, double high) {
  /** OpenRLHF's default (-10, 10). */
  public static final RewardClip OPENRLHF_DEFAULT = new RewardClip(-10, 10);

  /** Validates. */
  public RewardClip {
    if (Double.isNaN(low) || Double.isNaN(high) || low > high) {
      throw new IllegalArgumentException("reward clip range needs low <= high, got [" + low + ", " + high + "]");
    }
  }

  /** {@code clamp(r, low, high)} (NaN stays NaN, as torch.clamp). */
  public double apply(double r) {
    return Double.isNaN(r) ? r : Math.max(low, Math.min(high, r));
  }

  /** Clamps every entry into a copy. */
  public double[] apply(double[] r) {
    double[] out = new double[r.length];
    for (int i = 0; i < r.length; i++) {
      out[i] = apply(r[i]);
    }
    return out;
  }
}
