package dev.align4j.peft.io;

import java.nio.ByteBuffer;

/**
 * A tensor to write: dtype, shape and exactly {@code numel * itemSize} little-endian bytes.
 */
public record TensorData(DType dtype, long[] shape, ByteBuffer data) {
  /** Checks the byte count. */
  public TensorData {
    shape = shape.clone();
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape");
      }
      n = Math.multiplyExact(n, d);
    }
    long want = Math.multiplyExact(n, dtype.itemSize());
    if (data.remaining() != want) {
      throw new IllegalArgumentException(
          "tensor data has " + data.remaining() + " bytes, shape and dtype need " + want);
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of bytes. */
  public long byteSize() {
    return data.remaining();
  }
}
