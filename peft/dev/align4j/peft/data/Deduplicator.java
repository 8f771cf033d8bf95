package dev.align4j.peft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Streaming exact and near-duplicate filter that keeps the first occurrence.
 *
 * <p>Exact: texts equal after {@link TextNormalizer#normalize}. Near: MinHash over character n-grams of
 * the normalised text with {@code numPerm} seeded hash functions ({@code h_i(x) = mix64(x ^ seed_i)}, a
 * bijective SplitMix64 finalizer per seed), indexed by LSH banding ({@link LshParams#forThreshold}); an
 * LSH candidate is confirmed only when its Jaccard similarity (exact over shingle sets, or the MinHash
 * estimate) reaches the threshold. Only kept texts are indexed, so every drop points at a kept text.
 *
 * <p>Feed items in order with {@link #offer}; the result says whether to keep the item. Not thread-safe.
 */
public final class Deduplicator {
  private final DedupConfig config;
  private final LshParams lsh;
  private final long[] seeds;
  private final Map<String, Integer> exact = new HashMap<>();
  private final List<Long> keptIds = new ArrayList<>();
  private final List<long[]> keptSignatures = new ArrayList<>();
  private final List<long[]> keptShingles = new ArrayList<>();
  private final List<Map<Long, List<Integer>>> bands;
  private final Map<Integer, List<DedupCluster.Duplicate>> dropped = new LinkedHashMap<>();
  private long droppedCount;

  public Deduplicator(DedupConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.lsh = LshParams.forThreshold(config.threshold(), config.numPerm());
    SplittableRandom rnd = new SplittableRandom(config.seed());
    this.seeds = new long[config.numPerm()];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = rnd.nextLong();
    }
    this.bands = new ArrayList<>(lsh.bands());
    for (int b = 0; b < lsh.bands(); b++) {
      bands.add(new HashMap<>());
    }
  }

  /** The banding chosen for the configured threshold. */
  public LshParams lsh() {
    return lsh;
  }

  /**
   * Offers the next item.
   *
   * @param id   caller's id for reports (e.g. the source line)
   * @param text the item's text
   * @return true to keep it, false when it duplicates an earlier kept item
   */
  public boolean offer(long id, String text) {
    String norm = TextNormalizer.normalize(Objects.requireNonNull(text, "text"));
    Integer same = exact.get(norm);
    if (same != null) {
      drop(same, new DedupCluster.Duplicate(id, DedupCluster.Kind.EXACT, 1.0));
      return false;
    }
    long[] sh = shingles(norm, config.ngram());
    long[] sig = sh.length == 0 ? null : signature(sh);
    if (sig != null) {
      int best = -1;
      double bestSim = -1;
      for (int b = 0; b < lsh.bands(); b++) {
        List<Integer> bucket = bands.get(b).get(bandKey(sig, b));
        if (bucket == null) {
          continue;
        }
        for (int k : bucket) {
          double sim = config.exactVerify() ? jaccard(sh, keptShingles.get(k))
              : estimate(sig, keptSignatures.get(k));
          if (sim > bestSim || (sim == bestSim && k < best)) {
            bestSim = sim;
            best = k;
          }
        }
      }
      if (best >= 0 && bestSim >= config.threshold()) {
        drop(best, new DedupCluster.Duplicate(id, DedupCluster.Kind.NEAR, bestSim));
        return false;
      }
    }
    int k = keptIds.size();
    keptIds.add(id);
    exact.put(norm, k);
    keptSignatures.add(sig);
    keptShingles.add(config.exactVerify() ? sh : null);
    if (sig != null) {
      for (int b = 0; b < lsh.bands(); b++) {
        bands.get(b).computeIfAbsent(bandKey(sig, b), x -> new ArrayList<>(1)).add(k);
      }
    }
    return true;
  }

  /** Items kept so far. */
  public long keptCount() {
    return keptIds.size();
  }

  /** Items dropped so far. */
  public long droppedCount() {
    return droppedCount;
  }

  /** Clusters that have at least one dropped item, ordered by the kept item's position. */
  public List<DedupCluster> clusters() {
    List<DedupCluster> out = new ArrayList<>();
    dropped.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> out.add(new DedupCluster(keptIds.get(e.getKey()), e.getValue())));
    return out;
  }

  private void drop(int keptIndex, DedupCluster.Duplicate d) {
    dropped.computeIfAbsent(keptIndex, x -> new ArrayList<>()).add(d);
    droppedCount++;
  }

  // ---- MinHash ----

  /** Sorted distinct 64-bit hashes of the code-point n-grams of {@code s} (whole text if shorter). */
  static long[] shingles(String s, int n) {
    int[] cps = s.codePoints().toArray();
    if (cps.length == 0) {
      return new long[0];
    }
    int count = Math.max(1, cps.length - n + 1);
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      long h = 0xcbf29ce484222325L; // FNV-1a 64
      for (int j = i; j < Math.min(cps.length, i + n); j++) {
        h ^= cps[j];
        h *= 0x100000001b3L;
      }
      out[i] = mix64(h);
    }
    Arrays.sort(out);
    int m = 0;
    for (int i = 0; i < out.length; i++) {
      if (m == 0 || out[i] != out[m - 1]) {
        out[m++] = out[i];
      }
    }
    return Arrays.copyOf(out, m);
  }

  /** MinHash signature of a shingle set. */
  long[] signature(long[] shingles) {
    long[] sig = new long[seeds.length];
    Arrays.fill(sig, Long.MAX_VALUE);
    for (long x : shingles) {
      for (int i = 0; i < seeds.length; i++) {
        long h = mix64(x ^ seeds[i]);
        if (h < sig[i]) {
          sig[i] = h;
        }
      }
    }
    return sig;
  }

  /** Exact Jaccard similarity of two sorted distinct arrays. */
  static double jaccard(long[] a, long[] b) {
    int i = 0;
    int j = 0;
    int inter = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        inter++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    int union = a.length + b.length - inter;
    return union == 0 ? 1.0 : (double) inter / union;
  }

  /** MinHash estimate of Jaccard: the share of equal signature positions. */
  static double estimate(long[] a, long[] b) {
    int eq = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b[i]) {
        eq++;
      }
    }
    return (double) eq / a.length;
  }

  private long bandKey(long[] sig, int band) {
    long h = band * 0x9E3779B97F4A7C15L;
    for (int r = band * lsh.rows(); r < (band + 1) * lsh.rows(); r++) {
      h = mix64(h ^ sig[r]);
    }
    return h;
  }

  /** SplitMix64 finalizer: a fast bijective 64-bit mixer. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
