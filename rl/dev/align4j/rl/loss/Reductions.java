package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * Token weights and units of a reduction: {@code loss = sum_{i,t} w_it l_it / units}; masked tokens
 * weigh 0 (and a NaN there does not leak, unlike a multiply by the mask).
 */
final class Reductions {
  private Reductions() {}

  static double[][] weights(boolean[][] mask, LossReduction r) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    double[][] w = new double[b][t];
    for (int i = 0; i < b; i++) {
      int n = TokenArrays.count(mask[i]);
      // OpenRLHF divides a row by (count + 1e-8)
      double wi = r == LossReduction.TOKEN_MEAN ? 1.0 : 1.0 / (n + 1e-8);
      for (int j = 0; j < t; j++) {
        w[i][j] = mask[i][j] ? wi : 0.0;
      }
    }
    return w;
  }

  static double units(boolean[][] mask, LossReduction r) {
    if (r == LossReduction.TOKEN_MEAN) {
      return TokenArrays.count(mask);
    }
    int rows = 0;
    for (boolean[] row : mask) {
      rows += TokenArrays.count(row) > 0 ? 1 : 0;
    }
    return rows;
  }

  static double weightedSum(double[][] x, double[][] w) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        if (w[i][j] != 0) {
          s += w[i][j] * x[i][j];
        }
      }
    }
    return s;
  }
}
