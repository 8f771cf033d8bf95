package dev.align4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import java.nio.ByteBuffer;

/**
 * A frozen linear layer whose weight is stored in NF4 (QLoRA's base): packed codes plus the
 * (double-quantised) absmax stay on the device, about half a byte per parameter; each forward
 * dequantises the weight to the compute dtype in a scratch scope, so the full-precision copy is a
 * temporary that lives only as long as autograd needs it.
 */
public final class Nf4Linear implements Linear {
  private final NDArray packed;
  private final NDArray absmax;          // float32 [blocks], or null with double quantisation
  private final NDArray absmaxCodes;     // uint8 [blocks]
  private final NDArray absmax2;         // float32 [blocks / 256]
  private final NDArray offset;          // float32 scalar
  private final NDArray codebook;
  private final NDArray dynamicMap;
  private final Parameter bias;
  private final long out;
  private final long in;
  private final int blockSize;
  private final int blocks;
  private final Precision precision;
  private final long storageBytes;

  /** Quantises a dense layer's weight (its float32 copy can then be dropped). */
  public Nf4Linear(DenseLinear dense, NDManager manager, boolean doubleQuant, Precision precision) {
    NDArray w = dense.weight().data();
    float[] v = (w.getDataType() == DataType.FLOAT32 ? w : dev.align4j.peft.kernels.DTypeGuard.toType(w, DataType.FLOAT32))
        .toFloatArray();
    this.out = dense.outFeatures();
    this.in = dense.inFeatures();
    Nf4Tensor t = Nf4.quantize(v, new long[] {out, in}, 64, doubleQuant);
    this.blockSize = t.blockSize();
    this.blocks = (int) ((t.numel() + blockSize - 1) / blockSize);
    this.packed = manager.create(ByteBuffer.wrap(t.packed()), new Shape(t.packed().length), DataType.UINT8);
    if (t.nested() == null) {
      this.absmax = manager.create(t.absmax());
      this.absmaxCodes = null;
      this.absmax2 = null;
      this.offset = null;
    } else {
      this.absmax = null;
      this.absmaxCodes = manager.create(ByteBuffer.wrap(t.nested().codes()), new Shape(t.nested().codes().length), DataType.UINT8);
      this.absmax2 = manager.create(t.nested().absmax());
      this.offset = manager.create(t.nested().offset());
    }
    this.codebook = manager.create(Nf4.codebook());
    this.dynamicMap = manager.create(t.nested() != null ? t.nested().code() : DynamicMap.signed());
    this.bias = dense.bias();
    this.precision = precision;
    this.storageBytes = t.storageBytes();
  }

  /** The weight in float32 {@code [out, in]}, on {@code scratch}. */
  public NDArray dequantize(NDManager scratch) {
    Kernels k = Kernels.get();
    NDArray am = absmax != null ? absmax
        : k.dequantAbsmax(absmaxCodes, absmax2, dynamicMap, offset, DoubleQuant.BLOCK_SIZE, blocks);
    if (absmax == null) {
      am.attach(scratch);
    }
    NDArray w = k.dequantNf4(packed, am, codebook, out, in, blockSize);
    w.attach(scratch);
    return w;
  }

  /** The weight in the compute dtype, on {@code scratch}. */
  public NDArray computeWeight(NDManager scratch) {
    NDArray w = dequantize(scratch);
    if (precision == Precision.BFLOAT16) {
      w = Kernels.get().toBFloat16(w);
    } else if (precision == Precision.FLOAT64) {
      w = w.toType(DataType.FLOAT64, false);
    }
    w.attach(scratch);
    return w;
  }

  @Override
  public NDArray forward(NDArray x) {
    try (NDManager scratch = x.getManager().newSubManager()) {
      NDArray w = computeWeight(scratch);                                   // [out, in], freed with scratch
      return bias == null
          ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
          : ai.djl.nn.core.Linear.linear(x, w, bias.forCompute()).singletonOrThrow();
    }
  }

  /** The bias (kept in the compute dtype), or null. */
  public Parameter bias() {
    return bias;
  }

  /** Bytes of the quantised weight: packed codes and absmax storage. */
  public long storageBytes() {
    return storageBytes;
  }

  @Override
  public long inFeatures() {
    return in;
  }

  @Override
  public long outFeatures() {
    return out;
  }
}
