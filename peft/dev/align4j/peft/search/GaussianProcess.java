package dev.align4j.peft.search;

import java.util.List;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * A zero-mean Gaussian process regression (Rasmussen and Williams, algorithm 2.1) with covariance
 * {@code k(x, x') = signalVariance * kernel(|x - x'| / lengthScale)} and Gaussian observation noise
 * {@code noiseVariance}: {@code K + noise I = L L^T} (Commons Math's Cholesky), {@code alpha = K^-1 y},
 * posterior mean {@code k*^T alpha} and variance {@code k(x, x) - v^T v} with {@code v = L^-1 k*}
 * (the latent function's variance, without the noise: what expected improvement needs).
 *
 * @param x training inputs {@code [n][d]}
 * @param y training targets {@code [n]}
 */
public record GaussianProcess(double[][] x, double[] y, Kernel kernel, double lengthScale, double signalVariance,
    double noiseVariance, RealMatrix lower, RealVector alpha, double logMarginalLikelihood) {

  /** Length scales tried by {@link #fitted} (inputs live in the unit cube). */
  public static final List<Double> LENGTH_SCALES = List.of(0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0);
  /** Noise variances tried by {@link #fitted}, relative to unit signal variance. */
  public static final List<Double> NOISE_VARIANCES = List.of(1e-6, 1e-3, 1e-2, 1e-1);

  /** A posterior prediction: mean and variance of the latent function. */
  public record Prediction(double mean, double variance) {
    /** The standard deviation. */
    public double std() {
      return Math.sqrt(Math.max(0, variance));
    }
  }

  /** Conditions the prior on {@code (x, y)} with fixed hyper-parameters. */
  public static GaussianProcess fit(double[][] x, double[] y, Kernel kernel, double lengthScale, double signalVariance,
      double noiseVariance) {
    int n = x.length;
    if (n == 0 || y.length != n) {
      throw new IllegalArgumentException("a Gaussian process needs n > 0 inputs and as many targets, got " + n + " and " + y.length);
    }
    if (!(lengthScale > 0 && signalVariance > 0 && noiseVariance >= 0)) {
      throw new IllegalArgumentException("length scale and signal variance must be > 0, noise >= 0");
    }
    double[][] k = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        k[i][j] = signalVariance * kernel.correlation(x[i], x[j], lengthScale) + (i == j ? noiseVariance : 0);
      }
    }
    CholeskyDecomposition chol;
    try {
      // tiny absolute threshold: a near-duplicate point with no noise is still factored (jitter below keeps it PD)
      chol = new CholeskyDecomposition(new Array2DRowRealMatrix(k, false), 1e-9, 1e-14);
    } catch (NonPositiveDefiniteMatrixException e) {
      throw new IllegalArgumentException("covariance not positive definite (duplicate points need noise > 0)", e);
    }
    RealVector yv = new ArrayRealVector(y);
    RealVector alpha = chol.getSolver().solve(yv);
    RealMatrix l = chol.getL();
    double logDet = 0;
    for (int i = 0; i < n; i++) {
      logDet += Math.log(l.getEntry(i, i));
    }
    double lml = -0.5 * yv.dotProduct(alpha) - logDet - 0.5 * n * Math.log(2 * Math.PI);
    return new GaussianProcess(x, y.clone(), kernel, lengthScale, signalVariance, noiseVariance, l, alpha, lml);
  }

  /**
   * Fits the hyper-parameters by maximising the log marginal likelihood over {@link #LENGTH_SCALES}
   * x {@link #NOISE_VARIANCES} (signal variance 1: the caller standardises {@code y}); a grid, not
   * gradient ascent, so the fit is deterministic and never diverges on a handful of points.
   */
  public static GaussianProcess fitted(double[][] x, double[] y, Kernel kernel) {
    GaussianProcess best = null;
    for (double ls : LENGTH_SCALES) {
      for (double noise : NOISE_VARIANCES) {
        GaussianProcess gp;
        try {
          gp = fit(x, y, kernel, ls, 1.0, noise);
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (best == null || gp.logMarginalLikelihood > best.logMarginalLikelihood) {
          best = gp;
        }
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no hyper-parameters give a positive definite covariance");
    }
    return best;
  }

  /** The posterior at {@code q}. */
  public Prediction predict(double[] q) {
    int n = x.length;
    double[] ks = new double[n];
    for (int i = 0; i < n; i++) {
      ks[i] = signalVariance * kernel.correlation(q, x[i], lengthScale);
    }
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += ks[i] * alpha.getEntry(i);
    }
    // v = L^-1 k* by forward substitution
    double[] v = new double[n];
    double vv = 0;
    for (int i = 0; i < n; i++) {
      double s = ks[i];
      for (int j = 0; j < i; j++) {
        s -= lower.getEntry(i, j) * v[j];
      }
      v[i] = s / lower.getEntry(i, i);
      vv += v[i] * v[i];
    }
    return new Prediction(mean, Math.max(0, signalVariance - vv));
  }
}
