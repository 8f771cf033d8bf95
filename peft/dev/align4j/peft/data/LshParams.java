package dev.align4j.peft.data;

/**
 * LSH banding of a MinHash signature: {@code bands} bands of {@code rows} rows. Two texts with Jaccard
 * {@code s} share at least one band with probability {@code 1 - (1 - s^rows)^bands}, an S-curve whose
 * steep part sits near {@code (1/bands)^(1/rows)}.
 */
public record LshParams(int bands, int rows) {
  public LshParams {
    if (bands < 1 || rows < 1) {
      throw new IllegalArgumentException("bands and rows must be >= 1: " + bands + "x" + rows);
    }
  }

  /**
   * Bands for a threshold, weighting missed near-duplicates 9:1 over spurious candidates: every
   * candidate is verified afterwards, so a false positive costs one comparison while a false
   * negative leaves a duplicate in the data (with equal weights a pair at threshold + 0.05 would be
   * missed about a third of the time).
   */
  public static LshParams forThreshold(double threshold, int numPerm) {
    return forThreshold(threshold, numPerm, 0.1, 0.9);
  }

  /**
   * Picks bands x rows <= numPerm minimising {@code fpWeight * FP + fnWeight * FN}, where FP is the
   * candidate-probability area below the threshold and FN the miss-probability area above it (the
   * datasketch criterion), by midpoint integration.
   */
  public static LshParams forThreshold(double threshold, int numPerm, double fpWeight, double fnWeight) {
    if (!(threshold > 0 && threshold <= 1) || numPerm < 1 || fpWeight < 0 || fnWeight < 0) {
      throw new IllegalArgumentException("bad LSH parameters: threshold=" + threshold + ", numPerm=" + numPerm
          + ", weights=" + fpWeight + "/" + fnWeight);
    }
    LshParams best = null;
    double bestErr = Double.MAX_VALUE;
    for (int b = 1; b <= numPerm; b++) {
      for (int r = 1; r <= numPerm / b; r++) {
        double fp = integrate(threshold, 0, threshold, b, r, false);
        double fn = integrate(threshold, threshold, 1, b, r, true);
        double err = fpWeight * fp + fnWeight * fn;
        if (err < bestErr - 1e-12) {
          bestErr = err;
          best = new LshParams(b, r);
        }
      }
    }
    return best;
  }

  /** Probability that two texts with Jaccard {@code s} become a candidate pair. */
  public double candidateProbability(double s) {
    return 1 - Math.pow(1 - Math.pow(s, rows), bands);
  }

  private static double integrate(double t, double lo, double hi, int b, int r, boolean miss) {
    int steps = 200;
    double h = (hi - lo) / steps;
    double sum = 0;
    for (int i = 0; i < steps; i++) {
      double s = lo + (i + 0.5) * h;
      double p = 1 - Math.pow(1 - Math.pow(s, r), b);
      sum += miss ? 1 - p : p;
    }
    return sum * h;
  }
}
