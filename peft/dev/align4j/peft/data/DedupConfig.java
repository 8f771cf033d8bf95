package dev.align4j.peft.data;

/**
 * Settings of {@link Deduplicator}.
 *
 * @param ngram       character n-gram size for shingles (5 suits Chinese, which has no word spaces)
 * @param numPerm     number of MinHash functions (signature length)
 * @param threshold   Jaccard similarity at or above which two texts are near-duplicates, in (0, 1]
 * @param seed        seed of the hash family, so runs are reproducible
 * @param exactVerify verify LSH candidates by exact shingle-set Jaccard (keeps shingle sets of kept texts in
 *                    memory) instead of the MinHash estimate
 */
public record DedupConfig(int ngram, int numPerm, double threshold, long seed, boolean exactVerify) {
  public DedupConfig {
    if (ngram < 1) {
      throw new IllegalArgumentException("ngram must be >= 1: " + ngram);
    }
    if (numPerm < 2) {
      throw new IllegalArgumentException("numPerm must be >= 2: " + numPerm);
    }
    if (!(threshold > 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in (0, 1]: " + threshold);
    }
  }

  /** 5-grams, 128 permutations, threshold 0.8, seed 1, exact verification. */
  public static DedupConfig defaults() {
    return new DedupConfig(5, 128, 0.8, 1L, true);
  }

  /** Same settings with another threshold. */
  public DedupConfig withThreshold(double t) {
    return new DedupConfig(ngram, numPerm, t, seed, exactVerify);
  }
}
