package dev.align4j.peft.quant;

import java.util.Arrays;

/**
 * NF4 blockwise quantisation bit-exact with bitsandbytes ({@code quantize_4bit(quant_type="nf4")}):
 * blocks of {@code blockSize} over the flattened tensor (the last one may be partial), float32 absmax per
 * block, values multiplied by the float32 reciprocal {@code 1f/absmax}, the code chosen by the CUDA
 * kernel's decision tree on codebook midpoints ({@code dQuantizeNF4}), two codes per byte with the
 * even-indexed element in the high nibble. An odd element count is padded with one 0.0 (scaled like the
 * rest of its block), which lands in the low nibble of the last byte.
 */
public final class Nf4 {
  /** The NF4 codebook, index 0..15, as float32 (bitsandbytes' {@code get_4bit_type("nf4")}). */
  private static final float[] CODEBOOK = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
  };

  /** bitsandbytes' default 4-bit block size. */
  public static final int DEFAULT_BLOCK_SIZE = 64;

  private Nf4() {
  }

  /** A copy of the 16-value NF4 codebook. */
  public static float[] codebook() {
    return CODEBOOK.clone();
  }

  /**
   * Nearest NF4 code of a value already scaled to [-1, 1], by the kernel's thresholds (float32 literals
   * of the midpoints between neighbouring codes; a value exactly on a threshold takes the lower code;
   * NaN takes code 0, as the kernel's all-false comparisons do).
   */
  public static int quantizeValue(float x) {
    if (x > 0.03979014977812767f) {
      if (x > 0.3893125355243683f) {
        if (x > 0.6427869200706482f) {
          return x > 0.8614784181118011f ? 0b1111 : 0b1110;
        }
        return x > 0.5016634166240692f ? 0b1101 : 0b1100;
      }
      if (x > 0.2035212516784668f) {
        return x > 0.2920137718319893f ? 0b1011 : 0b1010;
      }
      return x > 0.1202552504837513f ? 0b1001 : 0b1000;
    }
    if (x > -0.33967943489551544f) {
      if (x > -0.13791173323988914f) {
        return x > -0.045525018125772476f ? 0b0111 : 0b0110;
      }
      return x > -0.23460740596055984f ? 0b0101 : 0b0100;
    }
    if (x > -0.6106329262256622f) {
      return x > -0.4599952697753906f ? 0b0011 : 0b0010;
    }
    return x > -0.8480964004993439f ? 0b0001 : 0b0000;
  }

  /**
   * Quantises {@code w} (row-major, {@code shape}) to NF4.
   *
   * @param doubleQuant bitsandbytes' {@code compress_statistics}: quantise the absmax again (offset =
   *                    float32 mean, blocks of 256 on {@link DynamicMap#signed()})
   */
  public static Nf4Tensor quantize(float[] w, long[] shape, int blockSize, boolean doubleQuant) {
    if (w == null || shape == null) {
      throw new IllegalArgumentException("Nf4.quantize: weights and shape must be non-null");
    }
    checkBlockSize(blockSize);
    long n = numel(shape);
    if (n != w.length) {
      throw new IllegalArgumentException("Nf4.quantize: shape " + Arrays.toString(shape) + " has " + n
          + " elements but " + w.length + " values were given");
    }
    int len = w.length;
    int blocks = (len + blockSize - 1) / blockSize;
    float[] absmax = new float[blocks];
    byte[] packed = new byte[(len + 1) / 2];
    for (int b = 0; b < blocks; b++) {
      int from = b * blockSize;
      int to = Math.min(len, from + blockSize);
      float m = 0f;
      for (int i = from; i < to; i++) {
        m = Math.max(m, Math.abs(w[i]));
      }
      absmax[b] = m;
      float recip = 1.0f / m;
      for (int i = from; i < to; i++) {
        int q = quantizeValue(w[i] * recip);
        if ((i & 1) == 0) {
          packed[i >> 1] = (byte) (q << 4);
        } else {
          packed[i >> 1] |= (byte) q;
        }
      }
      if (to == len && (len & 1) == 1) {
        // The kernel pads the last load with 0.0, which is scaled and quantised like a real value.
        packed[len >> 1] |= (byte) quantizeValue(0.0f * recip);
      }
    }
    if (!doubleQuant) {
      return new Nf4Tensor(packed, absmax, null, shape, blockSize);
    }
    return new Nf4Tensor(packed, null, compress(absmax), shape, blockSize);
  }

  /** Quantises with blocks of 64, as QLoRA does. */
  public static Nf4Tensor quantize(float[] w, long[] shape, boolean doubleQuant) {
    return quantize(w, shape, DEFAULT_BLOCK_SIZE, doubleQuant);
  }

  /** Double quantisation of first-level absmax values (bitsandbytes {@code compress_statistics}). */
  public static DoubleQuant compress(float[] absmax) {
    double sum = 0;
    for (float a : absmax) {
      sum += a;
    }
    // torch computes the float32 mean with a wider accumulator; the double sum rounded once matches it
    // except in last-ulp corner cases of GPU reduction order.
    float offset = absmax.length == 0 ? Float.NaN : (float) (sum / absmax.length);
    float[] centered = new float[absmax.length];
    for (int i = 0; i < absmax.length; i++) {
      centered[i] = absmax[i] - offset;
    }
    float[] code = DynamicMap.signed();
    Blockwise8bit.Quantized q = Blockwise8bit.quantize(centered, code, DoubleQuant.BLOCK_SIZE);
    return new DoubleQuant(q.codes(), q.absmax(), code, offset, DoubleQuant.BLOCK_SIZE);
  }

  /** Dequantises to float32, row-major: {@code codebook[q] * absmax[block]}. */
  public static float[] dequantize(Nf4Tensor t) {
    long n = t.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Nf4.dequantize: tensor of " + n + " elements is too large for one array");
    }
    float[] scale = t.blockAbsmax();
    byte[] packed = t.packed();
    int bs = t.blockSize();
    float[] out = new float[(int) n];
    for (int i = 0; i < out.length; i++) {
      int b = packed[i >> 1] & 0xFF;
      int q = (i & 1) == 0 ? b >>> 4 : b & 0x0F;
      out[i] = CODEBOOK[q] * scale[i / bs];
    }
    return out;
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  static void checkBlockSize(int blockSize) {
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
  }
}
