package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Forwards with learned virtual positions in front of the real tokens: prompt tuning's embeddings
 * and prefix tuning's keys/values. Real tokens move to positions n, n+1, ...; the virtual ones are
 * visible to every query.
 *
 * <p>Legend: B batch, T tokens, n virtual positions, H hidden, K kv heads, D head dim.
 */
final class VirtualPositions {
  private VirtualPositions() {}

  /**
   * Prompt tuning (Lester et al. 2021): n learned embeddings are prepended to the first chunk, at
   * positions 0..n-1 (real tokens shift by n), always visible to every query; later cached chunks see
   * them through the cache. Their own hidden states are dropped from the output.
   */
  static NDArray promptTuning(CausalLM lm, ModelInput in, KvCache cache, int past, NDArray prompt) {
    rejectPacked(in, "prompt tuning");
    NDManager m = in.inputIds().getManager();
    int b = in.batch();
    int t = in.length();
    int n = (int) prompt.getShape().get(0);
    boolean first = past == 0;
    int keyLen = past + t + (first ? n : 0);
    long[] mask = keyMask(in, keyLen);
    NDArray pos = realPositions(in, n, past + (first ? n : 0));                   // [B, T]
    NDArray x = lm.embed(in);                                                        // [B, T, H]
    if (first) {
      NDArray p = prompt.expandDims(0).repeat(0, b);                              // [B, n, H]
      x = p.concat(x, 1);                                                         // [B, n+T, H]
      NDArray prefixPos = m.arange(0, n, 1, DataType.INT64).reshape(1, n).repeat(0, b);
      pos = prefixPos.concat(pos, 1);                                             // [B, n+T]
    }
    int q = first ? n + t : t;
    ModelInput ext = new ModelInput(m.zeros(new Shape(b, q), DataType.INT64), mask, pos);
    LayerContext ctx = lm.context(ext, first ? 0 : past);
    for (int i = 0; i < lm.config().numLayers(); i++) {
      x = lm.layer(i, x, ctx, cache);   // [B, q, H]
    }
    if (cache != null) {
      cache.advance(q);
    }
    NDArray h = lm.finalNorm(x);
    return first ? h.get(":, " + n + ":, :") : h;                                 // [B, T, H]
  }

  /**
   * Prefix tuning (Li and Liang 2021): learned keys and values of n virtual positions sit in front
   * of every layer's cache, as transformers' {@code past_key_values}; real tokens take positions
   * n, n+1, ... and see the prefix through the attention mask. Without a caller's cache a temporary
   * one is used (training); with one, the prefix is written into it before the first chunk.
   */
  static NDArray prefixTuning(CausalLM lm, ModelInput in, KvCache cache, List<NDArray[]> kv) {
    rejectPacked(in, "prefix tuning");
    NDManager m = in.inputIds().getManager();
    int b = in.batch();
    int t = in.length();
    int n = (int) kv.get(0)[0].getShape().get(1);
    KvCache c = cache != null ? cache : new KvCache(m, lm.config().numLayers());
    try {
      if (c.length() == 0) {
        for (int i = 0; i < lm.config().numLayers(); i++) {
          NDArray k = kv.get(i)[0].expandDims(0).repeat(0, b);                     // [B, K, n, D]
          NDArray v = kv.get(i)[1].expandDims(0).repeat(0, b);                     // [B, K, n, D]
          c.append(i, k, v);
        }
        c.advance(n);
      }
      int past = c.length();
      int keyLen = past + t;
      long[] mask = keyMask(in, keyLen);
      NDArray pos = realPositions(in, n, past);                                   // [B, T]
      ModelInput ext = new ModelInput(in.inputIds(), mask, pos);
      NDArray x = lm.embed(in);                                                      // [B, T, H]
      LayerContext ctx = lm.context(ext, past);
      for (int i = 0; i < lm.config().numLayers(); i++) {
        x = lm.layer(i, x, ctx, c);     // [B, T, H]
      }
      c.advance(t);
      return lm.finalNorm(x);                                                // [B, T, H]
    } finally {
      if (cache == null) {
        c.close();
      }
    }
  }


  /**
   * Prompt tuning split at layer boundaries for activation checkpointing: {@code embed} puts the
   * virtual tokens in front (so gradients reach them when the embedding step is back-propagated),
   * the layers see {@code n + T} positions, {@code finalHidden} drops the virtual ones. The same ops
   * as {@link #promptTuning} without a cache.
   */
  static LayerPlan promptTuningPlan(CausalLM lm, ModelInput in, int n, Supplier<NDArray> prompt) {
    rejectPacked(in, "prompt tuning");
    NDManager m = in.inputIds().getManager();
    int b = in.batch();
    int t = in.length();
    int keyLen = t + n;
    long[] mask = keyMask(in, keyLen);
    NDArray pos = realPositions(in, n, n);                                        // [B, T]
    NDArray prefixPos = m.arange(0, n, 1, DataType.INT64).reshape(1, n).repeat(0, b);
    pos = prefixPos.concat(pos, 1);                                               // [B, n+T]
    ModelInput ext = new ModelInput(m.zeros(new Shape(b, n + t), DataType.INT64), mask, pos);
    LayerContext ctx = lm.context(ext, 0);
    return new LayerPlan() {
      @Override
      public NDArray embed() {
        NDArray x = lm.embed(in);                                                 // [B, T, H]
        NDArray p = prompt.get().expandDims(0).repeat(0, b);                      // [B, n, H]
        return p.concat(x, 1);                                                    // [B, n+T, H]
      }

      @Override
      public NDArray layer(int i, NDArray x) {
        return lm.layer(i, x, ctx);                                               // [B, n+T, H]
      }

      @Override
      public NDArray finalHidden(NDArray x) {
        return lm.finalNorm(x).get(":, " + n + ":, :");                           // [B, T, H]
      }

      @Override
      public boolean embedTrains() {
        return true;
      }
    };
  }

  /**
   * Prefix tuning split at layer boundaries for activation checkpointing: each layer call puts that
   * layer's learned keys and values (recomputed from the table, so its backward reaches the table)
   * in front of the real tokens' own, as {@link #prefixTuning} does through a temporary cache.
   */
  static LayerPlan prefixTuningPlan(CausalLM lm, ModelInput in, int n,
      Supplier<List<NDArray[]>> prefix) {
    rejectPacked(in, "prefix tuning");
    NDManager m = in.inputIds().getManager();
    int b = in.batch();
    int t = in.length();
    int keyLen = n + t;
    long[] mask = keyMask(in, keyLen);
    NDArray pos = realPositions(in, n, n);                                        // [B, T]
    LayerContext ctx = lm.context(new ModelInput(in.inputIds(), mask, pos), n);
    return new LayerPlan() {
      @Override
      public NDArray embed() {
        return lm.embed(in);                                                      // [B, T, H]
      }

      @Override
      public NDArray layer(int i, NDArray x) {
        try (KvCache c = new KvCache(m, lm.config().numLayers())) {
          NDArray[] kv = prefix.get().get(i);
          c.append(i, kv[0].expandDims(0).repeat(0, b), kv[1].expandDims(0).repeat(0, b)); // [B, K, n, D]
          c.advance(n);
          return lm.layer(i, x, ctx, c);                                          // [B, T, H]
        }
      }

      @Override
      public NDArray finalHidden(NDArray x) {
        return lm.finalNorm(x);                                                   // [B, T, H]
      }

      @Override
      public boolean embedTrains() {
        return false;
      }
    };
  }

  private static void rejectPacked(ModelInput in, String method) {
    if (in.segmentIds() != null) {
      throw new IllegalArgumentException(method + " cannot be combined with packed rows");
    }
  }

  /**
   * The key padding mask {@code [B * keyLen]} of a forward whose keys are the virtual positions and
   * any cached ones, then the real tokens: all visible, the caller's mask (over the keys without the
   * prefix) right-aligned.
   */
  private static long[] keyMask(ModelInput in, int keyLen) {
    int b = in.batch();
    long[] mask = new long[b * keyLen];
    Arrays.fill(mask, 1);
    if (in.attentionMask() != null) {
      int given = in.attentionMask().length / b;                                 // keys without the prefix
      for (int i = 0; i < b; i++) {
        System.arraycopy(in.attentionMask(), i * given, mask, i * keyLen + (keyLen - given), given);
      }
    }
    return mask;
  }

  /**
   * Positions of the real tokens {@code [B, T]}: the caller's shifted by the {@code n} virtual ones,
   * else {@code start, start+1, ...} for every row.
   */
  private static NDArray realPositions(ModelInput in, int n, long start) {
    if (in.positionIds() != null) {
      return in.positionIds().add(n);                                            // real tokens after the prefix
    }
    int t = in.length();
    return in.inputIds().getManager().arange(start, start + t, 1, DataType.INT64).reshape(1, t).repeat(0, in.batch());
  }
}
