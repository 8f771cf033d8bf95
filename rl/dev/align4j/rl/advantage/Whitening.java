package dev.align4j.rl.advantage;

import dev.align4j.rl.TokenArrays;

/**
 * Advantage whitening over the active tokens: subtract the masked mean, divide by the masked
 * standard deviation. Three exact variants, because the libraries differ in variance, epsilon and
 * what happens to masked positions.
 */
public final class Whitening {
  /** The floor on the variance in OpenRLHF (clamp) and TRL (added). */
  public static final double EPS = 1e-8;

  private Whitening() {}

  /**
   * OpenRLHF's global normalisation in {@code compute_advantages_and_returns} (estimators gae,
   * reinforce, reinforce_baseline): {@code mean = sum(A m) / sum(m)}, {@code var = sum((A - mean)^2
   * m) / sum(m)} (population), {@code out = (A - mean) * rsqrt(max(var, 1e-8))} at EVERY position,
   * masked ones included; with {@code divideByStd} false ({@code advantage.no_std_norm}) only the mean
   * is subtracted.
   */
  public static double[][] global(double[][] adv, boolean[][] mask, boolean divideByStd) {
    int b = adv.length;
    int t = b == 0 ? 0 : adv[0].length;
    TokenArrays.requireShape("advantages", adv, b, t);
    TokenArrays.requireShape("actionMask", mask, b, t);
    double n = TokenArrays.count(mask);
    double mean = sumMasked(adv, mask, 0, false) / n;
    double rstd = 1.0;
    if (divideByStd) {
      double var = sumMasked(adv, mask, mean, true) / n;
      rstd = 1.0 / Math.sqrt(Math.max(var, EPS));
    }
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        out[i][j] = (adv[i][j] - mean) * rstd;
      }
    }
    return out;
  }

  /**
   * OpenRLHF's {@code masked_normalize(x, mask, dim=1)}: per row, {@code (x - mean) * m *
   * rsqrt(max(var, 1e-8))} with the population variance of the row's active tokens (masked positions
   * become 0; an empty row divides by 1).
   */
  public static double[][] perRow(double[][] x, boolean[][] mask) {
    int b = x.length;
    int t = b == 0 ? 0 : x[0].length;
    TokenArrays.requireShape("x", x, b, t);
    TokenArrays.requireShape("mask", mask, b, t);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      double n = Math.max(1, TokenArrays.count(mask[i]));
      double s = 0;
      for (int j = 0; j < t; j++) {
        s += mask[i][j] ? x[i][j] : 0.0 * x[i][j];
      }
      double mean = s / n;
      double v = 0;
      for (int j = 0; j < t; j++) {
        double c = mask[i][j] ? x[i][j] - mean : 0.0 * (x[i][j] - mean);
        out[i][j] = c;
        v += c * c;
      }
      double rstd = 1.0 / Math.sqrt(Math.max(v / n, EPS));
      for (int j = 0; j < t; j++) {
        out[i][j] *= rstd;
      }
    }
    return out;
  }

  /**
   * The old TRL PPO's {@code core.masked_whiten(values, mask, shift_mean)}: {@code (x - mean) *
   * rsqrt(var + 1e-8)} with the Bessel-corrected masked variance; with {@code shiftMean} false the mean
   * is added back (scale only). Applies at every position.
   */
  public static double[][] masked(double[][] x, boolean[][] mask, boolean shiftMean) {
    int b = x.length;
    int t = b == 0 ? 0 : x[0].length;
    TokenArrays.requireShape("x", x, b, t);
    TokenArrays.requireShape("mask", mask, b, t);
    double n = TokenArrays.count(mask);
    if (n < 2) {
      throw new IllegalArgumentException("whitening needs at least 2 active tokens, got " + (long) n);
    }
    double mean = sumMasked(x, mask, 0, false) / n;
    double var = sumMasked(x, mask, mean, true) / n * (n / (n - 1));
    double rstd = 1.0 / Math.sqrt(var + EPS);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        out[i][j] = (x[i][j] - mean) * rstd + (shiftMean ? 0.0 : mean);
      }
    }
    return out;
  }

  private static double sumMasked(double[][] x, boolean[][] mask, double mean, boolean squared) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double d = x[i][j] - mean;
        double v = squared ? d * d : x[i][j];
        s += mask[i][j] ? v : 0.0 * v;
      }
    }
    return s;
  }
}
