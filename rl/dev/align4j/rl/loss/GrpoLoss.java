package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * The GRPO objective (Shao et al. 2024, "DeepSeekMath", eq. 3) as TRL's {@code
 * GRPOTrainer._compute_loss}: per token {@code -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)}
 * with {@code rho} capped at {@code delta} if set, plus {@code beta * k3} ({@code e^(ref - logp) - (ref
 * - logp) - 1}, times rho with bias correction), aggregated by {@link LossAggregation}. With
 * {@link ImportanceSamplingLevel#SEQUENCE} it is GSPO.
 */
public final class GrpoLoss {
  private GrpoLoss() {}

  /** The loss, its gradient with respect to {@code in.logp()} and the metrics. */
  public static GrpoLossResult compute(GrpoLossConfig c, GrpoLossInput in) {
    boolean[][] mask = in.mask();
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    boolean seq = c.level() == ImportanceSamplingLevel.SEQUENCE;
    boolean kl = c.beta() != 0.0;
    if (kl && in.refLogp() == null) {
      throw new IllegalArgumentException("beta = " + c.beta() + " needs reference log-probs");
    }
    double delta = c.delta() == null ? Double.NaN : c.delta();
    double[][] w = c.aggregation().weights(mask);
    double units = c.aggregation().units(mask, c.maxCompletionLength());
    double[][] grad = new double[b][t];
    double[][] klTok = new double[b][t];
    double sum = 0;
    double[][] low = new double[b][seq ? 1 : t];
    double[][] high = new double[b][seq ? 1 : t];
    for (int i = 0; i < b; i++) {
      double a = in.advantages()[i];
      int n = Math.max(1, TokenArrays.count(mask[i]));
      double seqLogW = 0;
      if (seq) {
        for (int j = 0; j < t; j++) {
          double u = in.logp()[i][j] - in.oldLogp()[i][j];
          seqLogW += mask[i][j] ? u : 0.0 * u;
        }
        seqLogW /= n;
      }
      double seqCoef = Math.exp(seqLogW);
      double[] seqSur = seq ? Surrogate.of(seqCoef, a, c.epsilonLow(), c.epsilonHigh(), delta, Double.NaN) : null;
      if (seq) {
        double capped = Double.isNaN(delta) ? seqCoef : Math.min(seqCoef, delta);
        low[i][0] = capped < 1 - c.epsilonLow() && a < 0 ? 1 : 0;
        high[i][0] = capped > 1 + c.epsilonHigh() && a > 0 ? 1 : 0;
      }
      // d sum / d (the sequence's log-weight): gathered over tokens, spread back through mask/n
      double dSeq = 0;
      for (int j = 0; j < t; j++) {
        double coef = seq ? seqCoef : Math.exp(in.logp()[i][j] - in.oldLogp()[i][j]);
        double[] s = seq ? seqSur : Surrogate.of(coef, a, c.epsilonLow(), c.epsilonHigh(), delta, Double.NaN);
        double p = s[0];
        double dpdCoef = s[1];
        double dpdLogpDirect = 0;
        if (kl) {
          double d = in.refLogp()[i][j] - in.logp()[i][j];
          double k3 = Math.exp(d) - d - 1;
          double dk3 = 1 - Math.exp(d);
          double factor = c.biasCorrectionKl() ? coef : 1.0;
          klTok[i][j] = k3 * factor;
          p += c.beta() * k3 * factor;
          dpdLogpDirect += c.beta() * dk3 * factor;
          if (c.biasCorrectionKl()) {
            dpdCoef += c.beta() * k3;
          }
        }
        if (!seq) {
          double capped = Double.isNaN(delta) ? coef : Math.min(coef, delta);
          low[i][j] = capped < 1 - c.epsilonLow() && a < 0 ? 1 : 0;
          high[i][j] = capped > 1 + c.epsilonHigh() && a > 0 ? 1 : 0;
        }
        if (w[i][j] == 0) {
          continue;
        }
        sum += w[i][j] * p;
        grad[i][j] += w[i][j] * dpdLogpDirect;
        if (seq) {
          dSeq += w[i][j] * dpdCoef * coef;
        } else {
          grad[i][j] += w[i][j] * dpdCoef * coef;
        }
      }
      if (seq) {
        for (int j = 0; j < t; j++) {
          if (mask[i][j]) {
            grad[i][j] += dSeq / n;
          }
        }
      }
    }
    double meanKl = kl ? TokenArrays.maskedMean(klTok, mask) : Double.NaN;
    double[] clip = clipMeans(low, high, mask, seq);
    return new GrpoLossResult(new LossValue(sum, units, grad), meanKl, clip[0], clip[1], clip[2]);
  }

  /** TRL's {@code global_masked_mean}: a [B, 1] flag (sequence level, or T = 1) is averaged unmasked. */
  private static double[] clipMeans(double[][] low, double[][] high, boolean[][] mask, boolean seq) {
    double l = 0;
    double h = 0;
    double r = 0;
    double n = 0;
    for (int i = 0; i < low.length; i++) {
      for (int j = 0; j < low[i].length; j++) {
        boolean counted = seq || low[i].length == 1 || mask[i][j];
        if (counted) {
          l += low[i][j];
          h += high[i][j];
          r += Math.max(low[i][j], high[i][j]);
          n++;
        }
      }
    }
    n = Math.max(n, 1);
    return new double[] {l / n, h / n, r / n};
  }
}
