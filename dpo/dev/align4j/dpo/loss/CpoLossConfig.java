package dev.align4j.dpo.loss;

/**
 * The settings of {@link CpoLoss} (TRL 1.13's {@code trl.experimental.cpo.CPOConfig} names). Pure SimPO
 * is {@code lossType=SIMPO, cpoAlpha=0}; CPO-SimPO keeps {@code cpoAlpha > 0}.
 *
 * @param beta > 0, default 0.1 (SimPO's paper uses 2-2.5)
 * @param lossType sigmoid (default), hinge, ipo or simpo
 * @param labelSmoothing eps of sigmoid and simpo, in [0, 0.5), default 0
 * @param simpoGamma SimPO's target reward margin gamma (default 0.5)
 * @param cpoAlpha weight of the chosen NLL (behaviour cloning) term (default 1.0)
 * @param alpha AlphaPO's reward shape (Gupta et al. 2025): 0 (default) = log-prob rewards, else {@code
 *     r = (1 - p^-alpha) / alpha}
 */
public record CpoLossConfig(double beta, CpoLossType lossType, double labelSmoothing, double simpoGamma,
    double cpoAlpha, double alpha) {

  /** TRL's defaults. */
  public static final CpoLossConfig DEFAULTS = new CpoLossConfig(0.1, CpoLossType.SIGMOID, 0.0, 0.5, 1.0, 0.0);

  public CpoLossConfig {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (lossType == null) {
      throw new IllegalArgumentException("loss_type is required (sigmoid, hinge, ipo or simpo)");
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    if (!Double.isFinite(simpoGamma)) {
      throw new IllegalArgumentException("simpo_gamma must be finite, got " + simpoGamma);
    }
    if (!(cpoAlpha >= 0) || !Double.isFinite(cpoAlpha)) {
      throw new IllegalArgumentException("cpo_alpha must be a finite number >= 0, got " + cpoAlpha);
    }
    if (!Double.isFinite(alpha)) {
      throw new IllegalArgumentException("alpha must be finite, got " + alpha);
    }
  }

  /** SimPO as its paper runs it: no NLL term. */
  public static CpoLossConfig simpo(double beta, double gamma) {
    return new CpoLossConfig(beta, CpoLossType.SIMPO, 0.0, gamma, 0.0, 0.0);
  }
}
