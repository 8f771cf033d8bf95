package dev.align4j.dpo.loss;

/**
 * The settings of {@link KtoLoss} (TRL 1.13's {@code KTOConfig} names).
 *
 * @param beta > 0, default 0.1
 * @param lossType kto (default) or apo_zero_unpaired
 * @param desirableWeight lambda_D of eq. 8, multiplies the desirable losses (default 1.0)
 * @param undesirableWeight lambda_U of eq. 8, multiplies the undesirable losses (default 1.0)
 */
public record KtoLossConfig(double beta, KtoLossType lossType, double desirableWeight, double undesirableWeight) {

  /** TRL's defaults. */
  public static final KtoLossConfig DEFAULTS = new KtoLossConfig(0.1, KtoLossType.KTO, 1.0, 1.0);

  public KtoLossConfig {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (lossType == null) {
      throw new IllegalArgumentException("loss_type is required (kto or apo_zero_unpaired)");
    }
    if (!(desirableWeight >= 0) || !Double.isFinite(desirableWeight)) {
      throw new IllegalArgumentException("desirable_weight must be a finite number >= 0, got " + desirableWeight);
    }
    if (!(undesirableWeight >= 0) || !Double.isFinite(undesirableWeight)) {
      throw new IllegalArgumentException("undesirable_weight must be a finite number >= 0, got " + undesirableWeight);
    }
  }
}
