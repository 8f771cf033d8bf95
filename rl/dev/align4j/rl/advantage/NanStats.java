package dev.align4j.rl.advantage;

/** NaN-skipping statistics as torch.nanmean and TRL's {@code utils.nanstd} (Bessel; NaN below 2 values). */
final class NanStats {
  private NanStats() {}

  static double nanmean(double[] x, int from, int to) {
    double s = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
      if (!Double.isNaN(x[i])) {
        s += x[i];
        n++;
      }
    }
    return s / n;
  }

  static double nanstd(double[] x, int from, int to) {
    double mean = nanmean(x, from, to);
    double s = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
      if (!Double.isNaN(x[i])) {
        s += (x[i] - mean) * (x[i] - mean);
        n++;
      }
    }
    return n > 1 ? Math.sqrt(s / n * ((double) n / (n - 1))) : Double.NaN;
  }

  static double nansum(double[] x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      if (!Double.isNaN(x[i])) {
        s += x[i];
      }
    }
    return s;
  }

  static int count(double[] x, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      n += Double.isNaN(x[i]) ? 0 : 1;
    }
    return n;
  }

  /** torch.isclose(std, 0) with the default atol 1e-8 (false for NaN). */
  static boolean isZero(double std) {
    return Math.abs(std) <= 1e-8;
  }

  static void requireGroups(int n, int groupSize) {
    if (groupSize < 1 || n % groupSize != 0) {
      throw new IllegalArgumentException(n + " completions do not split into groups of " + groupSize
          + " (num_generations)");
    }
  }
}
