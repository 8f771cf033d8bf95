package dev.align4j.peft.io;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param begin start offset within the data section
 * @param end end offset (exclusive) within the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
  /** Copies the shape. */
  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** Bytes of data. */
  public long byteSize() {
    return end - begin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype
        && Arrays.equals(t.shape, shape) && t.begin == begin && t.end == end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
  }
}
