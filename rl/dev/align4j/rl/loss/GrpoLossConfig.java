package dev.align4j.rl.loss;

/**
 * Options of TRL's GRPO loss ({@code GRPOConfig}).
 *
 * @param aggregation {@code loss_type} (TRL default DAPO)
 * @param epsilonLow {@code epsilon} (0.2): clip below at {@code 1 - epsilonLow}
 * @param epsilonHigh {@code epsilon_high} (defaults to epsilon; DAPO's clip-higher uses 0.28); CISPO's cap
 *     on the ratio itself (ScaleRL: 5.0)
 * @param delta upper cap on the unclipped ratio (two-sided clipping, INTELLECT-2), or null
 * @param beta KL coefficient of the k3 term in the loss (TRL default 0: no reference needed)
 * @param biasCorrectionKl multiply the k3 term by the importance ratio ({@code use_bias_correction_kl},
 *     TRL default true)
 * @param level token ratios (GRPO) or sequence ratios (GSPO)
 * @param maxCompletionLength {@code max_completion_length} (DR_GRPO's constant; 512)
 * @param gates SAPO's and VESPO's parameters (used by those loss types only)
 */
public record GrpoLossConfig(LossAggregation aggregation, double epsilonLow, double epsilonHigh, Double delta,
    double beta, boolean biasCorrectionKl, ImportanceSamplingLevel level, int maxCompletionLength, SoftGates gates) {
  /** TRL's defaults: dapo, epsilon 0.2 both sides, no delta, beta 0, bias correction on, token level, 512. */
  public static final GrpoLossConfig TRL_DEFAULT =
      new GrpoLossConfig(LossAggregation.DAPO, 0.2, 0.2, null, 0.0, true, ImportanceSamplingLevel.TOKEN, 512);

  /** With TRL's default SAPO/VESPO parameters. */
  public GrpoLossConfig(LossAggregation aggregation, double epsilonLow, double epsilonHigh, Double delta, double beta,
      boolean biasCorrectionKl, ImportanceSamplingLevel level, int maxCompletionLength) {
    this(aggregation, epsilonLow, epsilonHigh, delta, beta, biasCorrectionKl, level, maxCompletionLength,
        SoftGates.TRL_DEFAULT);
  }

  /** Validates. */
  public GrpoLossConfig {
    if (aggregation == null || level == null || gates == null) {
      throw new IllegalArgumentException("GRPO loss_type, importance_sampling_level and the soft-gate parameters must be set");
    }
    if (!(epsilonLow >= 0 && epsilonLow <= 1)) {
      throw new IllegalArgumentException("epsilon must be in [0, 1], got " + epsilonLow);
    }
    if (!(epsilonHigh >= 0) || Double.isInfinite(epsilonHigh)) {
      throw new IllegalArgumentException("epsilon_high must be a finite number >= 0, got " + epsilonHigh);
    }
    if (delta != null && !(delta > 1)) {
      throw new IllegalArgumentException("delta must be > 1 (it caps the ratio), got " + delta);
    }
    if (!Double.isFinite(beta) || beta < 0) {
      throw new IllegalArgumentException("beta must be a finite number >= 0, got " + beta);
    }
    if (maxCompletionLength < 1) {
      throw new IllegalArgumentException("max_completion_length must be >= 1, got " + maxCompletionLength);
    }
  }

  /** A copy with another aggregation. */
  public GrpoLossConfig withAggregation(LossAggregation a) {
    return new GrpoLossConfig(a, epsilonLow, epsilonHigh, delta, beta, biasCorrectionKl, level, maxCompletionLength, gates);
  }
}
