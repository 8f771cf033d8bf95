package dev.align4j.peft.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit "dynamic" quantisation map ({@code create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8)}), the code used for the second level of NF4 double quantisation.
 *
 * <p>For exponent {@code i = 0..6}: {@code 2^i + 1} boundaries {@code torch.linspace(0.1, 1, n)} in float32,
 * their pairwise means, scaled by {@code 10^(i-6)} (a float32 scalar), both signs; then 0 and 1.0; sorted.
 * Float32 arithmetic is reproduced step by step, including torch's CPU linspace formula
 * (first half from the start, second half from the end, fused multiply-adds).
 */
public final class DynamicMap {
  private static final float[] SIGNED = build();

  private DynamicMap() {
  }

  /** The 256 sorted float32 values of the signed dynamic map (a fresh copy). */
  public static float[] signed() {
    return SIGNED.clone();
  }

  /**
   * torch's CPU float32 {@code linspace(start, end, steps)}: {@code step = (end - start) / (steps - 1)},
   * the first half {@code start + step * i}, the second half {@code end - step * (steps - 1 - i)}.
   */
  static float[] linspace(float start, float end, int steps) {
    float[] out = new float[steps];
    if (steps == 1) {
      out[0] = start;
      return out;
    }
    float step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    for (int idx = 0; idx < steps; idx++) {
      // torch's AVX2 kernel contracts these to fused multiply-adds (verified against libtorch 2.7.1
      // through DJL for steps 2..130); plain float multiply-then-add differs in the last bit.
      out[idx] = idx < halfway ? Math.fma(step, (float) idx, start)
          : Math.fma(-step, (float) (steps - idx - 1), end);
    }
    return out;
  }

  private static float[] build() {
    final int maxExponentBits = 7;
    float[] data = new float[256];
    int k = 0;
    for (int i = 0; i < maxExponentBits; i++) {
      int fractionItems = (1 << i) + 1;
      float[] b = linspace(0.1f, 1.0f, fractionItems);
      // Python evaluates 10 ** (i - 6) as a double; torch casts the scalar to float32 for the multiply.
      float scale = (float) Math.pow(10, i - (maxExponentBits - 1));
      for (int j = 0; j + 1 < fractionItems; j++) {
        float mean = (b[j] + b[j + 1]) / 2.0f;
        data[k++] = scale * mean;
      }
      for (int j = 0; j + 1 < fractionItems; j++) {
        float mean = (b[j] + b[j + 1]) / 2.0f;
        data[k++] = -scale * mean;
      }
    }
    data[k++] = 0f;
    data[k++] = 1.0f;
    if (k != 256) {
      throw new IllegalStateException("dynamic map has " + k + " entries");
    }
    Arrays.sort(data);
    return data;
  }
}
