package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding (Su et al. 2021, eq. 34) in the "rotate half" layout that Hugging Face
 * Llama-family checkpoints use: dimension {@code i} pairs with {@code i + D/2}; with the RoPE
 * variants of {@link RopeScaling} (frequencies, and cos/sin scaled by the attention factor, as
 * transformers' rotary modules do).
 *
 * <p>Legend: B batch, T tokens, D head dim, N heads.
 */
public final class RotaryEmbedding {
  private final int headDim;
  private final double theta;
  private final RopeScaling scaling;
  private final int maxPositionEmbeddings;
  private final float[] invFreq;

  /** The embedding a config describes. */
  public RotaryEmbedding(ModelConfig c) {
    this(c.headDim(), c.ropeTheta(), c.ropeScaling(), c.maxPositionEmbeddings());
  }

  /**
   * @param scaling the variant, or {@code null} for plain RoPE
   * @param maxPositionEmbeddings the config's {@code max_position_embeddings} (dynamic scaling)
   */
  public RotaryEmbedding(int headDim, double theta, RopeScaling scaling, int maxPositionEmbeddings) {
    this.headDim = headDim;
    this.theta = theta;
    this.scaling = scaling;
    this.maxPositionEmbeddings = maxPositionEmbeddings;
    this.invFreq = invFreq(maxPositionEmbeddings);
  }

  /** Inverse frequencies {@code [D/2]} for a forward whose positions are below {@code seqLen}. */
  public float[] invFreq(long seqLen) {
    if (scaling == null) {
      return RopeScaling.plain(theta, headDim);
    }
    return scaling.invFreq(theta, headDim, maxPositionEmbeddings, seqLen);
  }

  private NDArray[] tablesArray(NDManager manager, NDArray positionIds) {
    float[] f = invFreq;
    if (scaling != null && scaling.lengthDependent()) {
      // transformers' dynamic update: seq_len = max(position_ids) + 1 of this forward
      long seqLen = positionIds.max().toType(DataType.INT64, false).getLong() + 1;
      f = invFreq(seqLen);
    }
    NDArray inv = manager.create(f, new Shape(1, 1, f.length));             // [1, 1, D/2]
    NDArray pos = positionIds.toType(DataType.FLOAT32, false).expandDims(-1); // [B, T, 1]
    NDArray freqs = pos.mul(inv);                                            // [B, T, D/2]
    NDArray emb = freqs.concat(freqs, -1);                                   // [B, T, D]
    NDArray cos = emb.cos();
    NDArray sin = emb.sin();
    double a = scaling == null ? 1.0 : scaling.attentionFactor();
    if (a != 1.0) {
      // constants (no gradient reaches them); the factor as a float32 like torch's scalar multiply
      NDArray factor = manager.create((float) a);
      cos = cos.mul(factor);
      sin = sin.mul(factor);
    }
    return new NDArray[] {cos, sin};
  }

  /** The (cos, sin) tables for the given positions, each {@code [B, T, D]} in float32. */
  public NDList tables(NDManager manager, NDArray positionIds) {
    NDArray[] t = tablesArray(manager, positionIds);
    return new NDList(t[0], t[1]);
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
