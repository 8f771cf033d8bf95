package dev.align4j.peft.quant;

/**
 * 4-bit NormalFloat quantisation (Dettmers et al. 2023, QLoRA, sec. 3) laid out exactly as
 * bitsandbytes stores it: blocks of {@code blockSize} (64) over the flattened tensor, a float32
 * absmax per block, each value scaled by {@code 1/absmax} and mapped to the nearest of 16 codes,
 * two codes per byte with the even-indexed element in the HIGH nibble.
 */
public final class Nf4 {
  /** bitsandbytes' NF4 codebook, index 0..15. */
  public static final float[] CODEBOOK = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f
  };

  /** Decision thresholds: midpoints of adjacent codes, as bitsandbytes' {@code dQuantizeNF4} tree. */
  private static final float[] MID = new float[15];

  static {
    for (int i = 0; i < 15; i++) {
      MID[i] = (float) (((double) CODEBOOK[i] + CODEBOOK[i + 1]) / 2);
    }
  }

  private Nf4() {}

  /** The code of a value in [-1, 1]: the largest i with x > MID[i-1] (strictly greater, as the tree). */
  public static int code(float x) {
    int c = 0;
    while (c < 15 && x > MID[c]) {
      c++;
    }
    return c;
  }

  /**
   * Quantises {@code w} (row-major, any shape).
   *
   * @param doubleQuant also quantise the absmax values (8-bit blockwise, blocks of 256)
   */
  public static Nf4Tensor quantize(float[] w, long[] shape, int blockSize, boolean doubleQuant) {
    int n = w.length;
    int blocks = (n + blockSize - 1) / blockSize;
    float[] absmax = new float[blocks];
    byte[] packed = new byte[(n + 1) / 2];
    for (int b = 0; b < blocks; b++) {
      int from = b * blockSize;
      int to = Math.min(n, from + blockSize);
      float m = 0;
      for (int i = from; i < to; i++) {
        m = Math.max(m, Math.abs(w[i]));
      }
      absmax[b] = m;
      float inv = m == 0 ? 0 : 1.0f / m;
      for (int i = from; i < to; i++) {
        int q = code(w[i] * inv);
        packed[i >> 1] |= (byte) ((i & 1) == 0 ? q << 4 : q);
      }
    }
    Blockwise8bit.Quantized nested = doubleQuant ? Blockwise8bit.quantizeAbsmax(absmax) : null;
    return new Nf4Tensor(packed, nested == null ? absmax : null, nested, shape.clone(), blockSize, n);
  }

  /** The float32 values a {@link Nf4Tensor} stands for. */
  public static float[] dequantize(Nf4Tensor t) {
    float[] absmax = t.absmax();
    float[] out = new float[t.numel()];
    for (int i = 0; i < out.length; i++) {
      int b = t.packed()[i >> 1] & 0xFF;
      int q = (i & 1) == 0 ? b >>> 4 : b & 0xF;
      out[i] = CODEBOOK[q] * absmax[i / t.blockSize()];
    }
    return out;
  }
}
