package dev.align4j.peft.data;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Seeded train/validation split over record positions {@code 0..n-1}. Deterministic for a given
 * {@code (n, valSize, seed)}: a partial Fisher-Yates shuffle with {@link SplittableRandom} picks the
 * validation positions; callers then stream the records and route each by position, keeping file order.
 */
public final class DataSplit {
  private DataSplit() {
  }

  /**
   * Validation size for a ratio: {@code round(n * ratio)}, but at least 1 when the ratio is positive
   * and {@code n >= 2}, and at most {@code n - 1} when the ratio is below 1, so neither side is
   * silently empty.
   */
  public static int valSizeForRatio(int n, double ratio) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("val ratio must be in [0, 1]: " + ratio);
    }
    int k = (int) Math.round(n * ratio);
    if (ratio > 0 && n >= 2) {
      k = Math.max(1, k);
    }
    if (ratio < 1 && n >= 2) {
      k = Math.min(n - 1, k);
    }
    return Math.max(0, Math.min(n, k));
  }

  /** Positions in {@code 0..n-1} that go to validation; exactly {@code valSize} bits set. */
  public static BitSet validationPositions(int n, int valSize, long seed) {
    if (n < 0 || valSize < 0 || valSize > n) {
      throw new IllegalArgumentException("need 0 <= valSize <= n, got valSize=" + valSize + ", n=" + n);
    }
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    BitSet val = new BitSet(n);
    for (int i = 0; i < valSize; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      val.set(idx[i]);
    }
    return val;
  }
}
