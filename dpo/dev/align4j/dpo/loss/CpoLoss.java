package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.logSigmoid;
import static dev.align4j.dpo.loss.LossMath.scalar;
import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * CPO (Xu et al. 2024), SimPO (Meng et al. 2024) and AlphaPO (Gupta et al. 2025) as TRL 1.13's {@code
 * CPOTrainer.cpo_loss} and {@code get_batch_loss_metrics} compute them. With rewards {@code r = logp}
 * (or {@code (1 - e^(-alpha logp)) / alpha} for AlphaPO) and {@code h = r_w - r_l}:
 *
 * <pre>
 *   sigmoid: -(1-eps) logsig(b h) - eps logsig(-b h)                 (CPO eq. 3)
 *   simpo:   the same with h - gamma/b                                (SimPO eq. 6)
 *   hinge:   relu(1 - b h);   ipo: (h - 1/(2b))^2
 *   loss = mean + cpo_alpha * NLL_chosen                              (CPO eq. 5)
 * </pre>
 */
public final class CpoLoss {
  private CpoLoss() {}

  /** The loss, per-pair terms and metrics of one batch. */
  public static CpoLossOutput compute(CpoLossConfig cfg, CpoLogps in) {
    NDArray pw = in.chosen();
    NDArray pl = in.rejected();
    double beta = cfg.beta();
    double eps = cfg.labelSmoothing();
    NDArray rw = pw;
    NDArray rl = pl;
    if (cfg.alpha() != 0) {
      rw = alphaReward(pw, cfg.alpha());
      rl = alphaReward(pl, cfg.alpha());
    }
    NDArray h = rw.sub(rl);                                                    // [B]
    NDArray perPair;
    switch (cfg.lossType()) {
      case SIMPO:
        h = h.sub(scalar(h, cfg.simpoGamma() / beta));
        perPair = smoothedSigmoid(h, beta, eps);
        break;
      case SIGMOID:
        perPair = smoothedSigmoid(h, beta, eps);
        break;
      case HINGE:
        perPair = Activation.relu(scalar(h, 1.0).sub(times(h, beta)));
        break;
      case IPO:
        perPair = h.sub(scalar(h, 1.0 / (2 * beta))).square();
        break;
      default:
        throw new IllegalStateException("unhandled CPO loss type " + cfg.lossType());
    }
    NDArray loss = perPair.mean();
    double nll = 0;
    if (cfg.cpoAlpha() != 0) {
      if (in.chosenNll() == null) {
        throw new IllegalArgumentException("cpo_alpha > 0 needs the chosen NLL (CpoLogps.chosenNll)");
      }
      loss = loss.add(times(in.chosenNll().reshape(), cfg.cpoAlpha()));
      nll = LossMath.meanValue(in.chosenNll());
    }
    NDArray chosenRewards = times(rw.stopGradient(), beta);
    NDArray rejectedRewards = times(rl.stopGradient(), beta);
    PreferenceMetrics metrics = PreferenceMetrics.of(chosenRewards, rejectedRewards, pw, pl);
    return new CpoLossOutput(loss, perPair, chosenRewards, rejectedRewards, metrics, nll);
  }

  /** AlphaPO's reward {@code (1 - p^-alpha) / alpha = (1 - e^(-alpha logp)) / alpha}. */
  static NDArray alphaReward(NDArray logp, double alpha) {
    NDArray e = times(logp, -alpha).exp();
    return times(scalar(e, 1.0).sub(e), 1.0 / alpha);
  }

  private static NDArray smoothedSigmoid(NDArray h, double beta, double eps) {
    NDArray z = times(h, beta);
    NDArray l = times(logSigmoid(z), -(1 - eps));
    return eps == 0 ? l : l.sub(times(logSigmoid(z.neg()), eps));
  }
}
