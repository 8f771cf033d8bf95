package dev.align4j.peft.probe;

/**
 * Per-feature z-scoring fitted on training features: {@code (x - mean) / scale}, where {@code scale}
 * is the population standard deviation, or 1 for a constant feature (as scikit-learn's
 * {@code StandardScaler}). Hidden states differ in scale by orders of magnitude across layers; without
 * it one L2 strength would mean something else at every layer.
 *
 * @param mean per feature
 * @param scale per feature, > 0
 */
public record Standardizer(double[] mean, double[] scale) {
  public Standardizer {
    if (mean.length != scale.length) {
      throw new IllegalArgumentException("mean and scale differ in length");
    }
  }

  /** Fits on {@code x} {@code [n][d]}, n > 0. */
  public static Standardizer fit(double[][] x) {
    int n = x.length;
    int d = x[0].length;
    double[] mean = new double[d];
    double[] scale = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        double c = row[j] - mean[j];
        scale[j] += c * c;
      }
    }
    for (int j = 0; j < d; j++) {
      double sd = Math.sqrt(scale[j] / n);
      scale[j] = sd > 0 ? sd : 1.0;
    }
    return new Standardizer(mean, scale);
  }

  /** The standardised copy of {@code x}. */
  public double[][] apply(double[][] x) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != mean.length) {
        throw new IllegalArgumentException("feature row " + i + " has " + x[i].length + " values, expected " + mean.length);
      }
      out[i] = new double[mean.length];
      for (int j = 0; j < mean.length; j++) {
        out[i][j] = (x[i][j] - mean[j]) / scale[j];
      }
    }
    return out;
  }
}
