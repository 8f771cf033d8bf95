package dev.align4j.peft.quant;

import java.util.Arrays;

/**
 * A tensor quantised to NF4 exactly as bitsandbytes stores it: {@code packed} holds two 4-bit codes per
 * byte (the even-indexed element in the high nibble), {@code ceil(numel/2)} bytes; the per-block scale is
 * either a plain float32 {@code absmax} ({@code nested == null}) or double-quantised ({@code absmax == null}).
 */
public record Nf4Tensor(byte[] packed, float[] absmax, DoubleQuant nested, long[] shape, int blockSize) {
  public Nf4Tensor {
    if (packed == null || shape == null) {
      throw new IllegalArgumentException("Nf4Tensor: packed and shape must be non-null");
    }
    if ((absmax == null) == (nested == null)) {
      throw new IllegalArgumentException("Nf4Tensor: exactly one of absmax and nested must be given");
    }
    Nf4.checkBlockSize(blockSize);
    shape = shape.clone();
    long n = Nf4.numel(shape);
    if ((n + 1) / 2 != packed.length) {
      throw new IllegalArgumentException("Nf4Tensor: shape " + Arrays.toString(shape) + " needs "
          + (n + 1) / 2 + " packed bytes, got " + packed.length);
    }
    long blocks = (n + blockSize - 1) / blockSize;
    long have = absmax != null ? absmax.length : nested.codes().length;
    if (have != blocks) {
      throw new IllegalArgumentException("Nf4Tensor: shape " + Arrays.toString(shape) + " in blocks of "
          + blockSize + " needs " + blocks + " absmax values, got " + have);
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long numel() {
    return Nf4.numel(shape);
  }

  /** Whether the absmax is double-quantised. */
  public boolean isDoubleQuant() {
    return nested != null;
  }

  /** The float32 per-block scales actually used by dequantisation (decoding the nested state if any). */
  public float[] blockAbsmax() {
    return nested != null ? nested.dequantize() : absmax.clone();
  }

  /**
   * Bytes this tensor holds: packed codes plus the absmax (4 per block, or 1 per block plus the nested
   * absmax and offset when double-quantised). The constant code books are not counted.
   */
  public long storageBytes() {
    return packed.length + (nested != null ? nested.storageBytes() : 4L * absmax.length);
  }

  /** {@link #storageBytes()} per element, e.g. 0.5 + 4/64 = 0.5625 for plain blocks of 64. */
  public double bytesPerParameter() {
    long n = numel();
    return n == 0 ? 0.0 : (double) storageBytes() / n;
  }
}
