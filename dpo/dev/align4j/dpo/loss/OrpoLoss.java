package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.logSigmoid;
import static dev.align4j.dpo.loss.LossMath.scalar;
import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * ORPO (Hong et al. 2024), as TRL 1.13's {@code ORPOTrainer.odds_ratio_loss} and {@code
 * get_batch_loss_metrics}: with mean token log-probs {@code p_w, p_l} (< 0),
 *
 * <pre>
 *   log_odds = (p_w - p_l) - (log(1 - e^p_w) - log(1 - e^p_l))      (eqs. 4 and 7)
 *   loss = NLL_chosen - beta * mean(logsig(log_odds))                 (eq. 6, lambda = beta)
 * </pre>
 *
 * TRL casts the log-probs to float32 first; here they stay in their dtype.
 */
public final class OrpoLoss {
  private OrpoLoss() {}

  /** The loss, per-pair odds-ratio terms and metrics of one batch. */
  public static OrpoLossOutput compute(OrpoLossConfig cfg, OrpoLogps in) {
    NDArray pw = in.chosen();
    NDArray pl = in.rejected();
    double beta = cfg.beta();
    NDArray logOdds = pw.sub(pl).sub(log1mexp(pw).sub(log1mexp(pl)));     // [B]
    NDArray ratio = logSigmoid(logOdds);                                     // [B]
    NDArray orLoss = times(ratio, -beta);
    NDArray loss = in.chosenNll().reshape().add(orLoss.mean());
    NDArray chosenRewards = times(pw.stopGradient(), beta);
    NDArray rejectedRewards = times(pl.stopGradient(), beta);
    PreferenceMetrics metrics = PreferenceMetrics.of(chosenRewards, rejectedRewards, pw, pl);
    return new OrpoLossOutput(loss, orLoss, chosenRewards, rejectedRewards, metrics,
        LossMath.meanValue(in.chosenNll()), LossMath.meanValue(ratio), LossMath.meanValue(logOdds));
  }

  /**
   * {@code log(1 - e^x)} for x < 0, stable on both sides of {@code -ln 2} as TRL's {@code log1mexp}: below,
   * {@code log(1 - e^x)} (1 - e^x > 1/2, so no cancellation); above, {@code log(-expm1(x))} with {@code
   * expm1(x) = tanh(x/2) (e^x + 1)} (DJL has no expm1; tanh is accurate near 0).
   */
  public static NDArray log1mexp(NDArray x) {
    NDArray one = scalar(x, 1.0);
    NDArray below = one.sub(x.exp()).log();
    NDArray negExpm1 = times(x, 0.5).tanh().mul(x.exp().add(one)).neg();
    NDArray above = negExpm1.log();
    NDArray useBelow = x.lt(scalar(x, -0.6931471805599453));
    // both branches are finite for x < 0, so where() has no NaN gradient to hide
    return NDArrays.where(useBelow, below, above);
  }
}
