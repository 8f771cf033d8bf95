package dev.align4j.peft.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.junit.jupiter.api.Test;

/** The GP posterior against hand-derived values and an independent LU-inverse computation; EI against quadrature. */
class GaussianProcessTest {
  @Test
  void kernelsMatchTheirFormulas() {
    // Matern 5/2 at r = 0.5: (1 + sqrt5/2 + 5/12) exp(-sqrt5/2), by hand
    double s = Math.sqrt(5) / 2;
    assertThat(Kernel.MATERN52.correlation(0.5)).isCloseTo((1 + s + 5.0 / 12) * Math.exp(-s), within(1e-15));
    assertThat(Kernel.RBF.correlation(0.5)).isCloseTo(Math.exp(-0.125), within(1e-15));
    assertThat(Kernel.MATERN52.correlation(new double[] {0, 0}, new double[] {0.3, 0.4}, 0.5))
        .isCloseTo(Kernel.MATERN52.correlation(1.0), within(1e-15));
  }

  @Test
  void onePointPosteriorIsTheHandDerivedOne() {
    // one observation y0 at x0, signal s2, noise n2, correlation c = k(x, x0) / s2:
    // mean = s2 c y0 / (s2 + n2), variance = s2 - (s2 c)^2 / (s2 + n2)
    double s2 = 2.0;
    double n2 = 0.1;
    double y0 = 1.5;
    GaussianProcess gp = GaussianProcess.fit(new double[][] {{0.2}}, new double[] {y0}, Kernel.RBF, 0.3, s2, n2);
    double c = Math.exp(-0.5 * (0.5 / 0.3) * (0.5 / 0.3));
    GaussianProcess.Prediction p = gp.predict(new double[] {0.7});
    assertThat(p.mean()).isCloseTo(s2 * c * y0 / (s2 + n2), within(1e-14));
    assertThat(p.variance()).isCloseTo(s2 - s2 * c * s2 * c / (s2 + n2), within(1e-14));
    // log marginal likelihood of one point: log N(y0; 0, s2 + n2)
    assertThat(gp.logMarginalLikelihood()).isCloseTo(
        -0.5 * y0 * y0 / (s2 + n2) - 0.5 * Math.log(s2 + n2) - 0.5 * Math.log(2 * Math.PI), within(1e-14));
  }

  @Test
  void posteriorEqualsTheExplicitInverseFormula() {
    double[][] x = {{0.1, 0.9}, {0.4, 0.2}, {0.8, 0.5}, {0.5, 0.55}};
    double[] y = {0.3, -1.2, 0.7, 0.1};
    double ls = 0.4;
    double s2 = 1.3;
    double n2 = 1e-3;
    GaussianProcess gp = GaussianProcess.fit(x, y, Kernel.MATERN52, ls, s2, n2);
    // reference: (K + n2 I)^-1 by LU, mean = k*^T K^-1 y, var = k** - k*^T K^-1 k*
    RealMatrix k = new Array2DRowRealMatrix(4, 4);
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        k.setEntry(i, j, s2 * Kernel.MATERN52.correlation(x[i], x[j], ls) + (i == j ? n2 : 0));
      }
    }
    RealMatrix inv = new LUDecomposition(k).getSolver().getInverse();
    for (double[] q : new double[][] {{0.3, 0.3}, {0.1, 0.9}, {0.95, 0.05}}) {
      RealVector ks = new ArrayRealVector(4);
      for (int i = 0; i < 4; i++) {
        ks.setEntry(i, s2 * Kernel.MATERN52.correlation(q, x[i], ls));
      }
      double mean = ks.dotProduct(inv.operate(new ArrayRealVector(y)));
      double var = s2 - ks.dotProduct(inv.operate(ks));
      GaussianProcess.Prediction p = gp.predict(q);
      assertThat(p.mean()).isCloseTo(mean, within(1e-10));
      assertThat(p.variance()).isCloseTo(var, within(1e-10));
    }
    // at a training point with little noise the posterior nearly interpolates
    assertThat(gp.predict(x[0]).mean()).isCloseTo(y[0], within(0.01));
    assertThat(gp.predict(x[0]).variance()).isLessThan(n2 * 1.01);
  }

  @Test
  void fittedHyperParametersMaximiseTheMarginalLikelihoodOverTheGrid() {
    double[][] x = {{0.0}, {0.25}, {0.5}, {0.75}, {1.0}};
    double[] y = new double[5];
    for (int i = 0; i < 5; i++) {
      y[i] = Math.sin(6 * x[i][0]);
    }
    GaussianProcess best = GaussianProcess.fitted(x, y, Kernel.MATERN52);
    for (double ls : GaussianProcess.LENGTH_SCALES) {
      for (double n : GaussianProcess.NOISE_VARIANCES) {
        assertThat(GaussianProcess.fit(x, y, Kernel.MATERN52, ls, 1, n).logMarginalLikelihood())
            .isLessThanOrEqualTo(best.logMarginalLikelihood());
      }
    }
  }

  @Test
  void expectedImprovementEqualsItsIntegral() {
    // E[max(best - xi - f, 0)], f ~ N(mu, sd^2), by Simpson's rule over mu +- 12 sd
    double[][] cases = {{0.0, 1.0, 0.5, 0.0}, {1.0, 0.3, 0.2, 0.01}, {-0.4, 2.0, -1.0, 0.1}, {0.3, 0.05, 0.3, 0.0}};
    for (double[] c : cases) {
      double mu = c[0];
      double sd = c[1];
      double best = c[2];
      double xi = c[3];
      int n = 200_000;
      double a = mu - 12 * sd;
      double h = 24 * sd / n;
      double sum = 0;
      for (int i = 0; i <= n; i++) {
        double f = a + i * h;
        double g = Math.max(best - xi - f, 0) * Math.exp(-0.5 * (f - mu) * (f - mu) / (sd * sd)) / (sd * Math.sqrt(2 * Math.PI));
        sum += g * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
      }
      assertThat(ExpectedImprovement.of(mu, sd, best, xi)).as("%s", java.util.Arrays.toString(c))
          .isCloseTo(sum * h / 3, within(1e-9));
    }
    assertThat(ExpectedImprovement.of(0.2, 0, 0.5, 0.1)).isCloseTo(0.2, within(1e-15));
    assertThat(ExpectedImprovement.of(0.7, 0, 0.5, 0.1)).isZero();
  }
}
