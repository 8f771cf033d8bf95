package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * PPO's clipped value loss as OpenRLHF's {@code models/loss.py: ValueLoss}: {@code 0.5 * max((V -
 * R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2)} per token, reduced over the action mask; without
 * a clip, {@code 0.5 (V - R)^2}.
 */
public final class ValueLoss {
  private ValueLoss() {}

  /**
   * Options.
   *
   * @param clip {@code value_clip} (OpenRLHF 0.5), or null for the unclipped loss
   * @param reduction token mean (default) or sequence mean
   */
  public record Config(Double clip, LossReduction reduction) {
    /** OpenRLHF's default: clip 0.5, token mean. */
    public static final Config DEFAULT = new Config(0.5, LossReduction.TOKEN_MEAN);

    /** Validates. */
    public Config {
      if (clip != null && !(clip >= 0)) {
        throw new IllegalArgumentException("value_clip must be >= 0, got " + clip);
      }
      if (reduction == null) {
        throw new IllegalArgumentException("loss reduction is null");
      }
    }
  }

  /**
   * The value loss, its metric, and the gradient with respect to {@code values}.
   *
   * @param value loss (including the 0.5) and {@code d sum / d values}
   * @param clipFraction {@code val/clipfrac}: masked mean of "the clipped branch is the larger" (the
   *     old TRL PPO's definition)
   */
  public record Result(LossValue value, double clipFraction) {
    /** The loss. */
    public double loss() {
      return value.loss();
    }
  }

  /**
   * The loss of {@code values} {@code [B, T]} against {@code returns}, with the rollout's {@code
   * oldValues}.
   */
  public static Result compute(Config c, double[][] values, double[][] oldValues, double[][] returns,
      boolean[][] mask) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    TokenArrays.requireShape("mask", mask, b, t);
    TokenArrays.requireShape("values", values, b, t);
    TokenArrays.requireShape("oldValues", oldValues, b, t);
    TokenArrays.requireShape("returns", returns, b, t);
    double[][] loss = new double[b][t];
    double[][] dLoss = new double[b][t];
    double[][] clipped = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        double v = values[i][j];
        double r = returns[i][j];
        double s2 = (v - r) * (v - r);
        double d2 = 2 * (v - r);
        if (c.clip() == null) {
          loss[i][j] = s2;
          dLoss[i][j] = d2;
          continue;
        }
        double eps = c.clip();
        double diff = v - oldValues[i][j];
        double vc = oldValues[i][j] + Math.max(-eps, Math.min(eps, diff));
        double s1 = (vc - r) * (vc - r);
        double d1 = diff >= -eps && diff <= eps ? 2 * (vc - r) : 0.0;
        loss[i][j] = Math.max(s1, s2);
        dLoss[i][j] = s1 > s2 ? d1 : s1 < s2 ? d2 : (d1 + d2) / 2;
        clipped[i][j] = s1 > s2 ? 1 : 0;
      }
    }
    double[][] w = Reductions.weights(mask, c.reduction());
    double units = Reductions.units(mask, c.reduction());
    double[][] grad = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        grad[i][j] = 0.5 * w[i][j] * dLoss[i][j];
      }
    }
    return new Result(new LossValue(0.5 * Reductions.weightedSum(loss, w), units, grad),
        TokenArrays.maskedMean(clipped, mask));
  }
}
