package dev.align4j.peft.quant;

/**
 * A tensor in NF4.
 *
 * @param packed two 4-bit codes per byte, even element in the high nibble ({@code ceil(n/2)} bytes)
 * @param rawAbsmax float32 absmax per block, or null when double-quantised
 * @param nested the 8-bit double-quantised absmax, or null
 * @param shape the logical shape
 * @param blockSize values per absmax (64)
 * @param numel number of values
 */
public record Nf4Tensor(byte[] packed, float[] rawAbsmax, Blockwise8bit.Quantized nested, long[] shape,
    int blockSize, int numel) {

  /** The per-block absmax (decoded from the double quantisation when present). */
  public float[] absmax() {
    return nested == null ? rawAbsmax : Blockwise8bit.dequantizeAbsmax(nested);
  }

  /** Bytes this tensor occupies: packed codes plus absmax storage. */
  public long storageBytes() {
    long absmaxBytes = nested == null ? 4L * rawAbsmax.length : nested.storageBytes();
    return packed.length + absmaxBytes;
  }
}
