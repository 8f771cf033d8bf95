package dev.align4j.rl.loss;

/**
 * Options of the PPO policy loss (OpenRLHF {@code PolicyLoss}).
 *
 * @param clipLow {@code eps_low}: the ratio is clipped below at {@code 1 - clipLow} (0.2)
 * @param clipHigh {@code eps_high}: clipped above at {@code 1 + clipHigh} (0.2; DAPO's clip-higher uses
 *     0.28)
 * @param dualClip dual-clip constant c > 1 (Ye et al. 2020, "Mastering Complex Control in MOBA Games",
 *     eq. 5: for A < 0 the loss is at most {@code -c A}), or null for none
 * @param reduction token mean (default) or sequence mean
 * @param sequenceRatio GSPO (Zheng et al. 2025, eq. 7): one ratio per sequence, {@code exp(mean_t(logp
 *     - logp_old))}, no +/-20 clamp (OpenRLHF {@code policy_loss_type=gspo}, which also forces the
 *     sequence-mean reduction)
 */
public record PolicyLossConfig(double clipLow, double clipHigh, Double dualClip, LossReduction reduction,
    boolean sequenceRatio) {
  /** OpenRLHF's default: clip 0.2 both sides, no dual clip, token mean. */
  public static final PolicyLossConfig DEFAULT = new PolicyLossConfig(0.2, 0.2, null, LossReduction.TOKEN_MEAN, false);

  /** Validates. */
  public PolicyLossConfig {
    if (!(clipLow >= 0 && clipLow <= 1)) {
      throw new IllegalArgumentException("clip_eps_low must be in [0, 1], got " + clipLow);
    }
    if (!(clipHigh >= 0) || Double.isInfinite(clipHigh)) {
      throw new IllegalArgumentException("clip_eps_high must be a finite number >= 0, got " + clipHigh);
    }
    if (dualClip != null && !(dualClip > 1)) {
      throw new IllegalArgumentException("dual_clip must be > 1.0, got " + dualClip);
    }
    if (reduction == null) {
      throw new IllegalArgumentException("loss reduction is null");
    }
    if (sequenceRatio) {
      reduction = LossReduction.SEQUENCE_MEAN;
    }
  }

  /** The same options with symmetric clipping {@code eps}. */
  public static PolicyLossConfig clip(double eps) {
    return new PolicyLossConfig(eps, eps, null, LossReduction.TOKEN_MEAN, false);
  }
}
