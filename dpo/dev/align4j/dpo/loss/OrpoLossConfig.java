package dev.align4j.dpo.loss;

/**
 * The settings of {@link OrpoLoss} (TRL 1.13's {@code trl.experimental.orpo.ORPOConfig}).
 *
 * @param beta lambda of eq. 6 of Hong et al. 2024, the weight of the odds-ratio term; > 0, default 0.1
 */
public record OrpoLossConfig(double beta) {

  /** TRL's default. */
  public static final OrpoLossConfig DEFAULTS = new OrpoLossConfig(0.1);

  public OrpoLossConfig {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta (ORPO's lambda) must be a finite number > 0, got " + beta);
    }
  }
}
