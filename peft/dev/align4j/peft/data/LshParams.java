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
     * Picks bands x rows <= numPerm minimising the false-positive area below the threshold plus the
     * false-negative area above it (equal weights), as datasketch does, by midpoint integration.
     */
    public static LshParams forThreshold(double threshold, int numPerm) {
        LshParams best = null;
        double bestErr = Double.MAX_VALUE;
        for (int b = 1; b <= numPerm; b++) {
            for (int r = 1; r <= numPerm / b; r++) {
                double fp = integrate(threshold, 0, threshold, b, r, false);
                double fn = integrate(threshold, threshold, 1, b, r, true);
                double err = fp + fn;
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
