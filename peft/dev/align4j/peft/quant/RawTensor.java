package dev.align4j.peft.quant;

import java.util.Arrays;

/**
 * A tensor as it lies in a safetensors file: dtype name ("U8", "F32"), shape, little-endian bytes.
 * Kept local to this package so the NF4 state can be built before the safetensors I/O is glued in.
 */
public record RawTensor(String dtype, long[] shape, byte[] data) {
  public RawTensor {
    if (dtype == null || dtype.isBlank()) {
      throw new IllegalArgumentException("RawTensor: dtype must be given");
    }
    if (shape == null || data == null) {
      throw new IllegalArgumentException("RawTensor: shape and data must be non-null");
    }
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("RawTensor: negative dimension in " + Arrays.toString(shape));
      }
      n *= d;
    }
    int width = switch (dtype) {
      case "U8", "I8", "BOOL" -> 1;
      case "F16", "BF16", "I16" -> 2;
      case "F32", "I32" -> 4;
      case "F64", "I64" -> 8;
      default -> throw new IllegalArgumentException("RawTensor: unsupported dtype " + dtype);
    };
    if (n * width != data.length) {
      throw new IllegalArgumentException("RawTensor: " + data.length + " bytes do not match dtype "
          + dtype + " and shape " + Arrays.toString(shape));
    }
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawTensor r && dtype.equals(r.dtype) && Arrays.equals(shape, r.shape)
        && Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "RawTensor[" + dtype + " " + Arrays.toString(shape) + ", " + data.length + " bytes]";
  }
}
