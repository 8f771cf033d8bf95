package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/** One pre-norm decoder block: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}. */
public final class DecoderLayer {
  final RmsNorm inputNorm;
  final Attention attention;
  final RmsNorm postAttentionNorm;
  final Mlp mlp;

  DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
    this.inputNorm = inputNorm;
    this.attention = attention;
    this.postAttentionNorm = postAttentionNorm;
    this.mlp = mlp;
  }

  /** {@code [B, T, H] -> [B, T, H]}. */
  NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int index) {
    NDArray h = x.add(attention.forward(inputNorm.forward(x), cos, sin, mask, cache, index));
    return h.add(mlp.forward(postAttentionNorm.forward(h)));
  }
}
