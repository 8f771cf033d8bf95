package dev.align4j.peft.quant;

import java.util.Arrays;

/**
 * bitsandbytes' 8-bit blockwise quantisation on its signed dynamic map, used for QLoRA's double
 * quantisation of the NF4 absmax values: subtract their mean, quantise blocks of 256 to the nearest
 * of 256 dynamic-map values after scaling by the block's absmax (kept in float32).
 */
public final class Blockwise8bit {
  /** Block size of the second-level quantisation. */
  public static final int BLOCK = 256;

  /** bitsandbytes' {@code create_dynamic_map(signed=True)}: 256 sorted values in [-1, 1]. */
  public static final float[] DYNAMIC_MAP = dynamicMap();

  /**
   * A double-quantised absmax vector.
   *
   * @param codes one byte per absmax value
   * @param absmax2 float32 absmax per block of 256 codes
   * @param offset the mean subtracted before quantising
   * @param n number of values
   */
  public record Quantized(byte[] codes, float[] absmax2, float offset, int n) {
    /** Bytes stored: codes, second-level absmax, offset. */
    public long storageBytes() {
      return codes.length + 4L * absmax2.length + 4;
    }
  }

  private Blockwise8bit() {}

  private static float[] dynamicMap() {
    // signed, max_exponent_bits 7, total_bits 8: for exponent i, 2^i + 1 linspace boundaries in
    // [0.1, 1], their midpoints scaled by 10^(i-6), both signs; then 0 and 1; sorted (float32 math)
    float[] data = new float[256];
    int k = 0;
    for (int i = 0; i < 7; i++) {
      int items = (1 << i) + 1;
      float[] bounds = new float[items];
      float step = (1.0f - 0.1f) / (items - 1);
      for (int j = 0; j < items; j++) {
        bounds[j] = j < items / 2 ? 0.1f + step * j : 1.0f - step * (items - 1 - j);
      }
      float scale = (float) Math.pow(10, -6 + i);
      for (int j = 0; j + 1 < items; j++) {
        float mean = (bounds[j] + bounds[j + 1]) / 2.0f;
        data[k++] = scale * mean;
        data[k++] = -scale * mean;
      }
    }
    data[k++] = 0f;
    data[k++] = 1.0f;
    Arrays.sort(data);
    return data;
  }

  /** Nearest map index of {@code x} (the lower on a tie). */
  static int nearest(float x) {
    int i = Arrays.binarySearch(DYNAMIC_MAP, x);
    if (i >= 0) {
      return i;
    }
    int hi = -i - 1;
    if (hi == 0) {
      return 0;
    }
    if (hi == DYNAMIC_MAP.length) {
      return DYNAMIC_MAP.length - 1;
    }
    return x - DYNAMIC_MAP[hi - 1] <= DYNAMIC_MAP[hi] - x ? hi - 1 : hi;
  }

  /** Double quantisation of NF4 absmax values. */
  public static Quantized quantizeAbsmax(float[] absmax) {
    double sum = 0;
    for (float a : absmax) {
      sum += a;
    }
    float offset = (float) (sum / absmax.length);
    int n = absmax.length;
    int blocks = (n + BLOCK - 1) / BLOCK;
    float[] absmax2 = new float[blocks];
    byte[] codes = new byte[n];
    for (int b = 0; b < blocks; b++) {
      int from = b * BLOCK;
      int to = Math.min(n, from + BLOCK);
      float m = 0;
      for (int i = from; i < to; i++) {
        m = Math.max(m, Math.abs(absmax[i] - offset));
      }
      absmax2[b] = m;
      float inv = m == 0 ? 0 : 1.0f / m;
      for (int i = from; i < to; i++) {
        codes[i] = (byte) nearest((absmax[i] - offset) * inv);
      }
    }
    return new Quantized(codes, absmax2, offset, n);
  }

  /** The absmax values a {@link Quantized} stands for. */
  public static float[] dequantizeAbsmax(Quantized q) {
    float[] out = new float[q.n()];
    for (int i = 0; i < out.length; i++) {
      out[i] = DYNAMIC_MAP[q.codes()[i] & 0xFF] * q.absmax2()[i / BLOCK] + q.offset();
    }
    return out;
  }
}
