package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * RLOO's sequence-level clipped loss as TRL's {@code RLOOTrainer._compute_loss} (Ahmadian et al. 2024,
 * with PPO clipping for the off-policy steps): {@code rho_i = exp(sum_t logp_it m_it - oldLogp_i)},
 * per sequence {@code -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)}, mean over sequences.
 */
public final class RlooLoss {
  private RlooLoss() {}

  /**
   * Inputs.
   *
   * @param logp per-token log-probs under the current policy {@code [B, T]}
   * @param oldSequenceLogp {@code sum_t oldLogp_it m_it} per sequence {@code [B]} (TRL's {@code old_logps})
   * @param advantages {@code [B]} (see {@link dev.align4j.rl.advantage.RlooAdvantages})
   * @param mask completion mask {@code [B, T]}
   */
  public record Input(double[][] logp, double[] oldSequenceLogp, double[] advantages, boolean[][] mask) {
    /** Validates the shapes. */
    public Input {
      if (mask == null) {
        throw new IllegalArgumentException("mask is null");
      }
      int b = mask.length;
      TokenArrays.requireShape("mask", mask, b, TokenArrays.columns(mask));
      TokenArrays.requireShape("logp", logp, b, TokenArrays.columns(mask));
      TokenArrays.requireLength("oldSequenceLogp", oldSequenceLogp, b);
      TokenArrays.requireLength("advantages", advantages, b);
    }
  }

  /**
   * The loss and TRL's clip metrics (means over sequences).
   *
   * @param value loss (units = B) and {@code d sum / d logp}
   */
  public record Result(LossValue value, double clipLow, double clipHigh, double clipRegion) {
    /** The loss. */
    public double loss() {
      return value.loss();
    }
  }

  /** Computes the loss with clip range {@code [1 - epsilonLow, 1 + epsilonHigh]} (TRL: 0.2, 0.2). */
  public static Result compute(Input in, double epsilonLow, double epsilonHigh) {
    int b = in.mask().length;
    int t = TokenArrays.columns(in.mask());
    double sum = 0;
    double low = 0;
    double high = 0;
    double region = 0;
    double[][] grad = new double[b][t];
    for (int i = 0; i < b; i++) {
      double logps = 0;
      for (int j = 0; j < t; j++) {
        double x = in.logp()[i][j];
        logps += in.mask()[i][j] ? x : 0.0 * x;
      }
      double a = in.advantages()[i];
      double rho = Math.exp(logps - in.oldSequenceLogp()[i]);
      double[] s = Surrogate.of(rho, a, epsilonLow, epsilonHigh, Double.NaN, Double.NaN);
      sum += s[0];
      for (int j = 0; j < t; j++) {
        grad[i][j] = in.mask()[i][j] ? s[1] * rho : 0.0;
      }
      low += rho < 1 - epsilonLow && a < 0 ? 1 : 0;
      high += rho > 1 + epsilonHigh && a > 0 ? 1 : 0;
      region += (rho < 1 - epsilonLow && a < 0) || (rho > 1 + epsilonHigh && a > 0) ? 1 : 0;
    }
    return new Result(new LossValue(sum, b, grad), low / b, high / b, region / b);
  }
}
