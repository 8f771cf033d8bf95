package dev.align4j.peft.search;

/**
 * Stationary isotropic covariance functions of the scaled distance {@code r = |x - x'| / l}, with
 * unit signal variance (the Gaussian process multiplies by its own).
 */
public enum Kernel {
  /** Matern 5/2: {@code (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)}; twice differentiable samples, the usual choice for BO. */
  MATERN52 {
    @Override
    public double correlation(double r) {
      double s = Math.sqrt(5) * r;
      return (1 + s + s * s / 3) * Math.exp(-s);
    }
  },
  /** Squared exponential (RBF): {@code exp(-r^2 / 2)}; infinitely smooth samples. */
  RBF {
    @Override
    public double correlation(double r) {
      return Math.exp(-0.5 * r * r);
    }
  };

  /** The correlation at scaled distance {@code r >= 0}; 1 at 0. */
  public abstract double correlation(double r);

  /** The correlation of two points at length scale {@code lengthScale}. */
  public double correlation(double[] a, double[] b, double lengthScale) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      s += d * d;
    }
    return correlation(Math.sqrt(s) / lengthScale);
  }
}
