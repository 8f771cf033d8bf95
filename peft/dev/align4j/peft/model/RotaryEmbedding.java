package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding (Su et al. 2021, eq. 34) in the "rotate half" layout that Hugging Face
 * Llama-family checkpoints use: dimension {@code i} pairs with {@code i + D/2}.
 *
 * <p>Legend: B batch, T tokens, D head dim, N heads.
 */
public final class RotaryEmbedding {
  private final float[] invFreq;

  /** Inverse frequencies {@code theta^(-2i/D)}, rescaled by {@code scaling} when given. */
  public RotaryEmbedding(int headDim, double theta, RopeScaling scaling) {
    invFreq = new float[headDim / 2];
    for (int i = 0; i < invFreq.length; i++) {
      // float32 like transformers: 1 / theta^(2i/D)
      invFreq[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
    }
    if (scaling != null) {
      scaling.apply(invFreq);
    }
  }

  /** The (cos, sin) tables for the given positions, each {@code [B, T, D]} in float32. */
  public NDList tables(NDManager manager, NDArray positionIds) {
    NDArray inv = manager.create(invFreq, new Shape(1, 1, invFreq.length));  // [1, 1, D/2]
    NDArray pos = positionIds.toType(DataType.FLOAT32, false).expandDims(-1); // [B, T, 1]
    NDArray freqs = pos.mul(inv);                                            // [B, T, D/2]
    NDArray emb = freqs.concat(freqs, -1);                                   // [B, T, D]
    return new NDList(emb.cos(), emb.sin());
  }

  /** Rotates {@code x [B, N, T, D]} by the tables (already in x's dtype, {@code [B, T, D]}). */
  public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
    NDArray c = cos.expandDims(1);                                    // [B, 1, T, D]
    NDArray s = sin.expandDims(1);                                    // [B, 1, T, D]
    NDList halves = x.split(2, 3);                                    // 2 x [B, N, T, D/2]
    NDArray rotated = halves.get(1).neg().concat(halves.get(0), -1);  // [B, N, T, D]
    return x.mul(c).add(rotated.mul(s));
  }
}
