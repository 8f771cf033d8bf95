package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * PPO's clipped policy loss (Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7)
 * exactly as OpenRLHF's {@code models/loss.py: PolicyLoss}: {@code log r = clamp(logp - logp_old,
 * -20, 20)}, {@code r = e^(log r)}, per token {@code -min(r A, clip(r, 1 - eps_low, 1 + eps_high) A)}
 * (optionally dual-clipped), reduced by token mean or sequence mean over the action mask.
 */
public final class PolicyLoss {
  /** OpenRLHF's clamp on the log-ratio. */
  public static final double LOG_RATIO_CLAMP = 20.0;

  private PolicyLoss() {}

  /** The loss, its gradient with respect to {@code in.logp()}, and the clip/KL metrics. */
  public static PolicyLossResult compute(PolicyLossConfig c, PolicyLossInput in) {
    int b = in.mask().length;
    int t = TokenArrays.columns(in.mask());
    double dual = c.dualClip() == null ? Double.NaN : c.dualClip();
    double[][] loss = new double[b][t];
    double[][] dLossDRho = new double[b][t];
    double[][] rho = new double[b][t];
    double[][] dRhoDLogp = new double[b][t];
    double[][] negLogRatio = new double[b][t];
    double[][] clipped = new double[b][t];
    for (int i = 0; i < b; i++) {
      double seqRho = Double.NaN;
      int n = Math.max(1, TokenArrays.count(in.mask()[i]));
      if (c.sequenceRatio()) {
        double s = 0;
        for (int j = 0; j < t; j++) {
          double u = in.logp()[i][j] - in.oldLogp()[i][j];
          s += in.mask()[i][j] ? u : 0.0 * u;
        }
        seqRho = Math.exp(s / n);
      }
      for (int j = 0; j < t; j++) {
        double raw = in.logp()[i][j] - in.oldLogp()[i][j];
        negLogRatio[i][j] = -raw;
        if (c.sequenceRatio()) {
          // GSPO: ratio * mask, so a masked token has ratio 0 (its loss is masked out anyway)
          rho[i][j] = in.mask()[i][j] ? seqRho : 0.0;
          dRhoDLogp[i][j] = in.mask()[i][j] ? seqRho / n : 0.0;
        } else {
          double u = Math.max(-LOG_RATIO_CLAMP, Math.min(LOG_RATIO_CLAMP, raw));
          rho[i][j] = Math.exp(u);
          dRhoDLogp[i][j] = raw >= -LOG_RATIO_CLAMP && raw <= LOG_RATIO_CLAMP ? rho[i][j] : 0.0;
        }
        double a = in.advantages()[i][j];
        double[] s = Surrogate.of(rho[i][j], a, c.clipLow(), c.clipHigh(), Double.NaN, dual);
        loss[i][j] = s[0];
        dLossDRho[i][j] = s[1];
        clipped[i][j] = Surrogate.clipped(rho[i][j], a, c.clipLow(), c.clipHigh()) ? 1 : 0;
      }
    }
    double[][] w = Reductions.weights(in.mask(), c.reduction());
    double sum = Reductions.weightedSum(loss, w);
    double units = Reductions.units(in.mask(), c.reduction());
    double[][] grad = new double[b][t];
    for (int i = 0; i < b; i++) {
      if (c.sequenceRatio()) {
        // every token's loss depends on every token's log-prob through the one sequence ratio
        double acc = 0;
        for (int j = 0; j < t; j++) {
          acc += w[i][j] * dLossDRho[i][j];
        }
        for (int j = 0; j < t; j++) {
          grad[i][j] = acc * dRhoDLogp[i][j];
        }
      } else {
        for (int j = 0; j < t; j++) {
          grad[i][j] = w[i][j] * dLossDRho[i][j] * dRhoDLogp[i][j];
        }
      }
    }
    return new PolicyLossResult(new LossValue(sum, units, grad),
        TokenArrays.maskedMean(clipped, in.mask()), TokenArrays.maskedMean(negLogRatio, in.mask()));
  }
}
