package dev.align4j.dpo;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * TRL's {@code precompute_ref_log_probs}: one pass of the reference over the dataset before training
 * (in order, in batches, without gradients), its log-probs attached to every pair so training runs
 * the policy forward only. With a cache directory the values are read back when the key matches and
 * written otherwise.
 */
public final class ReferencePrecompute {
  private ReferencePrecompute() {}

  /** The reference's log-probs of every pair, in order, {@code batchSize} pairs per forward. */
  public static List<RefLogps> compute(CausalLM policy, Reference reference, DpoCollator collator, List<DpoPair> pairs,
      int batchSize) {
    List<RefLogps> out = new ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i += batchSize) {
      List<DpoPair> chunk = pairs.subList(i, Math.min(pairs.size(), i + batchSize));
      try (NDManager s = policy.manager().newSubManager()) {
        double[] r = reference.logps(policy, collator.collate(s, chunk));
        int b = chunk.size();
        for (int k = 0; k < b; k++) {
          out.add(new RefLogps(r[k], r[b + k]));
        }
      }
    }
    return out;
  }

  /**
   * Pairs with reference log-probs attached: from {@code cacheDir} when it holds them for {@code key},
   * else computed and written there.
   *
   * @param log receives one line saying whether the cache was used, and why not
   */
  public static List<DpoPair> attach(CausalLM policy, Reference reference, DpoCollator collator, List<DpoPair> pairs,
      int batchSize, Path cacheDir, String referenceSha256, Consumer<String> log) throws IOException {
    RefCacheKey key = new RefCacheKey(RefCacheKey.dataset(pairs, collator), referenceSha256);
    List<RefLogps> values = cachedOrComputed(cacheDir, key, pairs.size(), "pairs", reference,
        () -> compute(policy, reference, collator, pairs, batchSize), log);
    List<DpoPair> out = new ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      out.add(pairs.get(i).withRef(values.get(i)));
    }
    return out;
  }

  /**
   * KTO examples with the reference's log-probs of their completion and KL completion attached ({@code
   * RefLogps.chosen} and {@code rejected}), from {@code cacheDir} or computed (batches of {@code
   * batchSize}, rows cut to {@code maxLength}) and written there.
   */
  public static List<KtoExample> attachKto(CausalLM policy, Reference reference, List<KtoExample> examples, long padId,
      int maxLength, int batchSize, Path cacheDir, String referenceSha256, Consumer<String> log) throws IOException {
    RefCacheKey key = new RefCacheKey(RefCacheKey.ktoDataset(examples, maxLength), referenceSha256);
    List<RefLogps> values = cachedOrComputed(cacheDir, key, examples.size(), "examples", reference,
        () -> computeKto(policy, reference, examples, padId, maxLength, batchSize), log);
    List<KtoExample> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      out.add(examples.get(i).withRef(values.get(i)));
    }
    return out;
  }

  /** The reference's log-probs of every KTO example's completion and KL completion, {@code batchSize} per forward. */
  private static List<RefLogps> computeKto(CausalLM policy, Reference reference, List<KtoExample> examples, long padId,
      int maxLength, int batchSize) {
    List<RefLogps> values = new ArrayList<>();
    for (int i = 0; i < examples.size(); i += batchSize) {
      List<KtoExample> chunk = examples.subList(i, Math.min(examples.size(), i + batchSize));
      int n = chunk.size();
      long[][] p = new long[n][];
      long[][] c = new long[n][];
      long[][] k = new long[n][];
      for (int j = 0; j < n; j++) {
        p[j] = chunk.get(j).promptIds();
        c[j] = chunk.get(j).completionIds();
        k[j] = chunk.get(j).klCompletionIds();
      }
      try (NDManager s = policy.manager().newSubManager()) {
        double[] main = reference.logps(policy, SequenceRows.collate(s, p, c, padId, maxLength, n));
        double[] kl = reference.logps(policy, SequenceRows.collate(s, p, k, padId, maxLength, n));
        for (int j = 0; j < n; j++) {
          values.add(new RefLogps(main[j], kl[j]));
        }
      }
    }
    return values;
  }

  /**
   * The cached values for {@code key} when {@code cacheDir} holds them, else {@code compute}'s, written there;
   * {@code log} receives one line saying which, and why the cache was not used.
   */
  private static List<RefLogps> cachedOrComputed(Path cacheDir, RefCacheKey key, int n, String noun, Reference reference,
      Supplier<List<RefLogps>> compute, Consumer<String> log) throws IOException {
    RefLogpCache.Lookup hit = RefLogpCache.read(cacheDir, key, n);
    if (hit.values().isPresent()) {
      log.accept("reference log-probs: " + hit.reason());
      return hit.values().get();
    }
    long t0 = System.nanoTime();
    List<RefLogps> values = compute.get();
    Path f = RefLogpCache.write(cacheDir, key, values);
    log.accept(String.format("reference log-probs: computed for %d %s with %s in %.1f s (%s); cached in %s",
        n, noun, reference.describe(), (System.nanoTime() - t0) / 1e9, hit.reason(), f));
    return values;
  }
}
