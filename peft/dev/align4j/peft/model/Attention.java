package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Grouped-query self-attention (Ainslie et al. 2023) with RoPE and optional per-head q/k RMSNorm
 * (Qwen3).
 *
 * <p>Legend: B batch, T query tokens, S key tokens (cached + current), H hidden, N query heads, K
 * key/value heads, G = N / K, D head dim.
 */
public final class Attention {
  Linear q;
  Linear k;
  Linear v;
  Linear o;
  private final RmsNorm qNorm;
  private final RmsNorm kNorm;
  private final int numHeads;
  private final int numKvHeads;
  private final int headDim;
  private final Precision precision;
  private final AttentionKernel kernel;

  Attention(
      Linear q, Linear k, Linear v, Linear o, RmsNorm qNorm, RmsNorm kNorm, ModelConfig c,
      Precision precision, AttentionKernel kernel) {
    this.q = q;
    this.k = k;
    this.v = v;
    this.o = o;
    this.qNorm = qNorm;
    this.kNorm = kNorm;
    this.numHeads = c.numHeads();
    this.numKvHeads = c.numKvHeads();
    this.headDim = c.headDim();
    this.precision = precision;
    this.kernel = kernel;
  }

  /**
   * @param x {@code [B, T, H]}
   * @param cos RoPE table {@code [B, T, D]} in the compute dtype
   * @param sin RoPE table {@code [B, T, D]}
   * @param mask additive {@code [B, 1, T, S]} in the compute dtype
   * @param cache the cache (null when not generating) and this layer's index in it
   */
  NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int layer) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    NDArray qh = q.forward(x).reshape(b, t, numHeads, headDim);     // [B, T, N, D]
    NDArray kh = k.forward(x).reshape(b, t, numKvHeads, headDim);   // [B, T, K, D]
    NDArray vh = v.forward(x).reshape(b, t, numKvHeads, headDim);   // [B, T, K, D]
    if (qNorm != null) {
      qh = qNorm.forward(qh);                                       // per-head norm over D
      kh = kNorm.forward(kh);
    }
    qh = RotaryEmbedding.apply(qh.transpose(0, 2, 1, 3), cos, sin); // [B, N, T, D]
    kh = RotaryEmbedding.apply(kh.transpose(0, 2, 1, 3), cos, sin); // [B, K, T, D]
    vh = vh.transpose(0, 2, 1, 3);                                  // [B, K, T, D]
    if (cache != null) {
      NDArray[] kv = cache.append(layer, kh, vh);
      kh = kv[0];                                                   // [B, K, S, D]
      vh = kv[1];                                                   // [B, K, S, D]
    }
    NDArray y = kernel.attend(qh, kh, vh, mask, precision);        // [B, N, T, D]
    y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) numHeads * headDim); // [B, T, N*D]
    return o.forward(y);                                            // [B, T, H]
  }
}
