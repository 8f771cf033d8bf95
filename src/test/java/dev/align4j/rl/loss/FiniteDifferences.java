package dev.align4j.rl.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.ToDoubleFunction;

/** Central finite differences of a scalar function of a {@code [B, T]} array, float64. */
final class FiniteDifferences {
  private FiniteDifferences() {}

  /**
   * Asserts that {@code grad} is the gradient of {@code f} at {@code x}, entry by entry, with step
   * {@code h}; entries where a kink lies within {@code h} are the caller's to avoid.
   */
  static void assertGradient(String what, ToDoubleFunction<double[][]> f, double[][] x, double[][] grad, double h,
      double tol) {
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double[][] p = copy(x);
        double[][] m = copy(x);
        p[i][j] += h;
        m[i][j] -= h;
        double fd = (f.applyAsDouble(p) - f.applyAsDouble(m)) / (2 * h);
        assertThat(Math.abs(fd - grad[i][j])).as(what + " d/dx[" + i + "][" + j + "]: analytic " + grad[i][j]
            + " vs finite difference " + fd).isLessThanOrEqualTo(tol * Math.max(1, Math.abs(fd)));
      }
    }
  }

  static double[][] copy(double[][] x) {
    double[][] c = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      c[i] = x[i].clone();
    }
    return c;
  }
}
