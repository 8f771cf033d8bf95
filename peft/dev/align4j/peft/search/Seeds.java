package dev.align4j.peft.search;

/** Seeds derived from the search seed: the same for a given (seed, index, stream) on any machine. */
public final class Seeds {
  private Seeds() {}

  /**
   * SplitMix64's finaliser over the three numbers: well mixed, so neighbouring trial indices get
   * unrelated streams (a plain {@code seed + index} would give correlated {@link java.util.SplittableRandom}s).
   */
  public static long derive(long seed, long index, long stream) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1) + 0xD1B54A32D192ED03L * (stream + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A non-negative seed for a child run (recipes read {@code seed} as a long; the sign bit is dropped for readability). */
  public static long trialSeed(long seed, int trial) {
    return derive(seed, trial, 7) >>> 33;
  }
}
