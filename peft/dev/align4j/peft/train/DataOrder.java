package dev.align4j.peft.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order examples are visited in: a fresh seeded shuffle each epoch, so the position after any
 * number of steps is a pure function of (seed, examples consumed) and a resumed run sees exactly the
 * examples the uninterrupted one would have.
 */
final class DataOrder {
  private final int size;
  private final long seed;
  private int cachedEpoch = -1;
  private int[] cached;

  DataOrder(int size, long seed) {
    if (size <= 0) {
      throw new IllegalArgumentException("no training examples");
    }
    this.size = size;
    this.seed = seed;
  }

  /** Indices of the {@code count} examples starting at absolute position {@code from}. */
  List<Integer> take(long from, int count) {
    List<Integer> out = new ArrayList<>(count);
    for (long p = from; p < from + count; p++) {
      int epoch = (int) (p / size);
      out.add(permutation(epoch)[(int) (p % size)]);
    }
    return out;
  }

  private int[] permutation(int epoch) {
    if (epoch != cachedEpoch) {
      int[] perm = new int[size];
      for (int i = 0; i < size; i++) {
        perm[i] = i;
      }
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
      for (int i = size - 1; i > 0; i--) {   // Fisher-Yates
        int j = r.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      cached = perm;
      cachedEpoch = epoch;
    }
    return cached;
  }
}
