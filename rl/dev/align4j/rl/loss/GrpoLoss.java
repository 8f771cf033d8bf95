package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * The GRPO objective (Shao et al. 2024, "DeepSeekMath", eq. 3) as TRL's {@code
 * GRPOTrainer._compute_loss}: per token {@code -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)}
 * with {@code rho} capped at {@code delta} if set, plus {@code beta * k3} ({@code e^(ref - logp) - (ref
 * - logp) - 1}, times rho with bias correction), aggregated by {@link LossAggregation}. With
 * {@link ImportanceSamplingLevel#SEQUENCE} it is GSPO. The loss types {@code cispo}, {@code sapo} and
 * {@code vespo} replace the clipped term by their own ({@link LossAggregation.Surrogate}); CISPO's
 * capped ratio and VESPO's gamma weight are detached, as in TRL, so their gradient is the weight
 * times {@code A} (not the derivative of the loss's value through the weight).
 */
public final class GrpoLoss {
  private GrpoLoss() {}

  /** The loss, its gradient with respect to {@code in.logp()} and the metrics. */
  public static GrpoLossResult compute(GrpoLossConfig c, GrpoLossInput in) {
    return compute(c, in, in);
  }

  /**
   * As {@link #compute(GrpoLossConfig, GrpoLossInput)} with the detached weights (CISPO's capped ratio,
   * VESPO's gamma weight) evaluated at {@code detachedAt} instead: the function whose gradient the
   * result holds, for finite-difference checks.
   */
  static GrpoLossResult compute(GrpoLossConfig c, GrpoLossInput in, GrpoLossInput detachedAt) {
    boolean[][] mask = in.mask();
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    boolean seq = c.level() == ImportanceSamplingLevel.SEQUENCE;
    boolean kl = c.beta() != 0.0;
    if (kl && in.refLogp() == null) {
      throw new IllegalArgumentException("beta = " + c.beta() + " needs reference log-probs");
    }
    LossAggregation.Surrogate form = c.aggregation().surrogate();
    double delta = c.delta() == null ? Double.NaN : c.delta();
    double[][] w = c.aggregation().weights(mask);
    double units = c.aggregation().units(mask, c.maxCompletionLength());
    double[][] grad = new double[b][t];
    double[][] klTok = new double[b][t];
    double sum = 0;
    double[][] low = new double[b][seq ? 1 : t];
    double[][] high = new double[b][seq ? 1 : t];
    double phiSum = 0;
    for (int i = 0; i < b; i++) {
      double a = in.advantages()[i];
      double seqCoef = seq ? Math.exp(sequenceLogWeight(in, i)) : Double.NaN;
      double seqCoefDetached = seq ? Math.exp(sequenceLogWeight(detachedAt, i)) : Double.NaN;
      double phi = form == LossAggregation.Surrogate.VESPO ? gammaWeight(c.gates(), detachedAt, i, a) : Double.NaN;
      phiSum += form == LossAggregation.Surrogate.VESPO ? phi : 0;
      if (seq) {
        boolean[] f = flags(form, c, seqCoef, a, delta);
        low[i][0] = f[0] ? 1 : 0;
        high[i][0] = f[1] ? 1 : 0;
      }
      // d sum / d (the sequence's log-weight): gathered over tokens, spread back through mask/n
      double dSeq = 0;
      for (int j = 0; j < t; j++) {
        double coef = seq ? seqCoef : Math.exp(in.logp()[i][j] - in.oldLogp()[i][j]);
        double p;
        double dpdCoef;
        double dpdLogpDirect;
        switch (form) {
          case CLIPPED -> {
            double[] s = Surrogate.of(coef, a, c.epsilonLow(), c.epsilonHigh(), delta, Double.NaN);
            p = s[0];
            dpdCoef = s[1];
            dpdLogpDirect = 0;
          }
          case CISPO -> {
            // torch.clamp(coef_1, max=epsilon_high).detach()
            double frozen = seq ? seqCoefDetached : Math.exp(detachedAt.logp()[i][j] - detachedAt.oldLogp()[i][j]);
            double cap = Math.min(frozen, c.epsilonHigh());
            p = -cap * a * in.logp()[i][j];
            dpdCoef = 0;
            dpdLogpDirect = -cap * a;
          }
          case SAPO -> {
            double tau = a > 0 ? c.gates().sapoTemperaturePos() : c.gates().sapoTemperatureNeg();
            double sig = 1 / (1 + Math.exp(-tau * (coef - 1)));
            p = -(sig * 4 / tau) * a;
            dpdCoef = -a * 4 * sig * (1 - sig);
            dpdLogpDirect = 0;
          }
          case VESPO -> {
            p = -phi * a * in.logp()[i][j];
            dpdCoef = 0;
            dpdLogpDirect = -phi * a;
          }
          default -> throw new IllegalStateException(form.name());
        }
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
          boolean[] f = flags(form, c, coef, a, delta);
          low[i][j] = f[0] ? 1 : 0;
          high[i][j] = f[1] ? 1 : 0;
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
        int n = Math.max(1, TokenArrays.count(mask[i]));
        for (int j = 0; j < t; j++) {
          if (mask[i][j]) {
            grad[i][j] += dSeq / n;
          }
        }
      }
    }
    double meanKl = kl ? TokenArrays.maskedMean(klTok, mask) : Double.NaN;
    double[] clip = clipMeans(low, high, mask, seq);
    double phiMean = form == LossAggregation.Surrogate.VESPO ? phiSum / Math.max(1, b) : Double.NaN;
    return new GrpoLossResult(new LossValue(sum, units, grad), meanKl, clip[0], clip[1], clip[2], phiMean);
  }

  /** GSPO's log-weight of row i: the masked mean of {@code logp - old} (a masked term still counts as 0 * u). */
  private static double sequenceLogWeight(GrpoLossInput in, int i) {
    boolean[] m = in.mask()[i];
    double s = 0;
    for (int j = 0; j < m.length; j++) {
      double u = in.logp()[i][j] - in.oldLogp()[i][j];
      s += m[j] ? u : 0.0 * u;
    }
    return s / Math.max(1, TokenArrays.count(m));
  }

  /**
   * VESPO's detached gamma weight of row i, as TRL's {@code get_gamma_weights}: {@code log w = clamp(sum_t
   * clamp(logp - old, -20, 20), log 1e-8, 20)}, {@code phi = exp(lambda + k log w - lambda w)} with {@code
   * (k, lambda)} of the advantage's sign ({@code lambda >= 1e-4}); a NaN or infinite phi is 0.
   */
  static double gammaWeight(SoftGates g, GrpoLossInput in, int i, double a) {
    boolean[] m = in.mask()[i];
    double s = 0;
    for (int j = 0; j < m.length; j++) {
      double u = Math.max(-20.0, Math.min(20.0, in.logp()[i][j] - in.oldLogp()[i][j]));
      s += m[j] ? u : 0.0 * u;
    }
    double logW = Math.max(Math.log(1e-8), Math.min(20.0, s));
    double w = Math.exp(logW);
    boolean nonNeg = a >= 0;
    double k = nonNeg ? g.vespoKPos() : g.vespoKNeg();
    double lambda = Math.max(1e-4, nonNeg ? g.vespoLambdaPos() : g.vespoLambdaNeg());
    double phi = Math.exp(lambda + k * logW - lambda * w);
    return Double.isFinite(phi) ? phi : 0.0;
  }

  /**
   * TRL's clip flags {low, high}: the clipped surrogate's {@code rho < 1 - eps_low, A < 0} and {@code rho >
   * 1 + eps_high, A > 0} (rho capped at delta), CISPO's {@code rho > epsilon_high, A > 0} (as high); SAPO
   * and VESPO clip nothing.
   */
  private static boolean[] flags(LossAggregation.Surrogate form, GrpoLossConfig c, double coef, double a, double delta) {
    return switch (form) {
      case CLIPPED -> {
        double capped = Double.isNaN(delta) ? coef : Math.min(coef, delta);
        yield new boolean[] {capped < 1 - c.epsilonLow() && a < 0, capped > 1 + c.epsilonHigh() && a > 0};
      }
      case CISPO -> new boolean[] {false, coef > c.epsilonHigh() && a > 0};
      case SAPO, VESPO -> new boolean[] {false, false};
    };
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
