package dev.align4j.peft.quant;

/**
 * Second-level ("nested", {@code compress_statistics=True}) state of an NF4 tensor: the per-block absmax
 * minus {@code offset} (their float32 mean), quantised blockwise to 8-bit codes on {@code code}
 * (bitsandbytes' signed dynamic map) with one float32 absmax per {@code blockSize} (256) codes.
 */
public record DoubleQuant(byte[] codes, float[] absmax, float[] code, float offset, int blockSize) {
  /** Block size bitsandbytes uses for the nested absmax. */
  public static final int BLOCK_SIZE = 256;

  public DoubleQuant {
    if (codes == null || absmax == null || code == null) {
      throw new IllegalArgumentException("DoubleQuant: codes, absmax and code must be non-null");
    }
    if (code.length != 256) {
      throw new IllegalArgumentException("DoubleQuant: nested quant map must have 256 entries, got " + code.length);
    }
    new Blockwise8bit.Quantized(codes, absmax, blockSize); // validates the block arithmetic
  }

  /** The first-level absmax this state stands for: {@code code[q] * absmax2 + offset}, float32. */
  public float[] dequantize() {
    float[] a = Blockwise8bit.dequantize(new Blockwise8bit.Quantized(codes, absmax, blockSize), code);
    for (int i = 0; i < a.length; i++) {
      a[i] += offset;
    }
    return a;
  }

  /** Bytes held: one per code, four per nested absmax, four for the offset (the shared map not counted). */
  public long storageBytes() {
    return codes.length + 4L * absmax.length + 4L;
  }
}
