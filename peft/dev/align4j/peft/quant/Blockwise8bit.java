package dev.align4j.peft.quant;

/**
 * bitsandbytes' blockwise 8-bit quantisation on a sorted 256-entry code ({@code quantize_blockwise} /
 * {@code dequantize_blockwise}), as its CUDA kernel computes it: per block a float32 absmax, the value
 * multiplied by the float32 reciprocal {@code 1f/absmax}, then the code index chosen by the kernel's
 * 7-step binary search and float32 midpoint test ({@code dQuantize<0>}).
 */
public final class Blockwise8bit {
  private Blockwise8bit() {
  }

  /** Codes (one byte per value) and one float32 absmax per block. */
  public record Quantized(byte[] codes, float[] absmax, int blockSize) {
    public Quantized {
      if (codes == null || absmax == null) {
        throw new IllegalArgumentException("Blockwise8bit.Quantized: codes and absmax must be non-null");
      }
      Nf4.checkBlockSize(blockSize);
      long blocks = ((long) codes.length + blockSize - 1) / blockSize;
      if (blocks != absmax.length) {
        throw new IllegalArgumentException("Blockwise8bit.Quantized: " + codes.length + " codes in blocks of "
            + blockSize + " need " + blocks + " absmax values, got " + absmax.length);
      }
    }
  }

  /**
   * Quantises {@code x} in blocks of {@code blockSize} on {@code code} (sorted ascending, 256 entries,
   * e.g. {@link DynamicMap#signed()}).
   */
  public static Quantized quantize(float[] x, float[] code, int blockSize) {
    checkCode(code);
    Nf4.checkBlockSize(blockSize);
    int n = x.length;
    int blocks = (n + blockSize - 1) / blockSize;
    float[] absmax = new float[blocks];
    byte[] out = new byte[n];
    for (int b = 0; b < blocks; b++) {
      int from = b * blockSize;
      int to = Math.min(n, from + blockSize);
      float m = 0f;
      for (int i = from; i < to; i++) {
        m = Math.max(m, Math.abs(x[i]));
      }
      absmax[b] = m;
      float recip = 1.0f / m;
      for (int i = from; i < to; i++) {
        out[i] = (byte) quantizeOne(code, x[i] * recip);
      }
    }
    return new Quantized(out, absmax, blockSize);
  }

  /** {@code code[q] * absmax[block]} in float32. */
  public static float[] dequantize(Quantized q, float[] code) {
    checkCode(code);
    float[] out = new float[q.codes().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = code[q.codes()[i] & 0xFF] * q.absmax()[i / q.blockSize()];
    }
    return out;
  }

  /**
   * The CUDA kernel's nearest-code search: binary search from pivot 127 over 7 halvings, then a float32
   * midpoint comparison with the bracketing neighbour. Ties (x exactly at a midpoint) go to the pivot.
   * A NaN input (an all-zero block: 0 * inf) ends at index 0, as on the GPU.
   */
  static int quantizeOne(float[] code, float x) {
    int pivot = 127;
    int upperPivot = 255;
    int lowerPivot = 0;
    float lower = -1.0f;
    float upper = 1.0f;
    float val = code[pivot];
    for (int i = 64; i > 0; i >>= 1) {
      if (x > val) {
        lowerPivot = pivot;
        lower = val;
        pivot += i;
      } else {
        upperPivot = pivot;
        upper = val;
        pivot -= i;
      }
      val = code[pivot];
    }
    if (upperPivot == 255) {
      upper = code[upperPivot];
    }
    if (lowerPivot == 0) {
      lower = code[lowerPivot];
    }
    if (x > val) {
      float midpoint = (upper + val) * 0.5f;
      return x > midpoint ? upperPivot : pivot;
    } else {
      float midpoint = (lower + val) * 0.5f;
      return x < midpoint ? lowerPivot : pivot;
    }
  }

  private static void checkCode(float[] code) {
    if (code == null || code.length != 256) {
      throw new IllegalArgumentException("Blockwise8bit: code must have 256 entries, got "
          + (code == null ? "null" : code.length));
    }
  }
}
