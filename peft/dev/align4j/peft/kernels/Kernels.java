package dev.align4j.peft.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel bridge: what DJL lacks, run by libtorch from TorchScript that align4j writes itself
 * ({@code kernels.torchscript} beside this class, compiled by libtorch when the archive loads).
 *
 * <p>Every call records autograd when a gradient collector is open, so casts and attention are
 * differentiable. Results are attached to the manager of the first input.
 *
 * <p>bfloat16 arrays that come out of the bridge report {@code UNKNOWN} in DJL. DJL ops that pass no
 * dtype to native code work on them (matMul, linear, add, sub, mul and div of two arrays, neg,
 * sigmoid, concat, split, reshape, transpose, embedding, get/slicing, stopGradient); anything that
 * passes a dtype (toType, creating arrays, ops with a Java scalar such as {@code x.mul(2f)}, softmax,
 * sum/mean with dtype) aborts the JVM, so the model upcasts through {@link #toFloat32} first. {@link
 * DTypeGuard} is the check in front of dtype-taking calls.
 */
public final class Kernels {
  private static volatile Kernels instance;
  private static final boolean OPTIMIZE_DEFAULT =
      Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true"));

  private final NDManager manager;
  private final PtSymbolBlock block;
  private final ParameterStore store;

  private Kernels() {
    this.manager = Torch.newManager();
    try {
      String src;
      try (InputStream in = Kernels.class.getResourceAsStream("kernels.torchscript")) {
        src = in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (src == null) {
        throw new IOException("kernels.torchscript missing from the classpath");
      }
      Path file = Files.createTempFile("align4j-kernels", ".pt");
      try {
        TorchScriptArchive.write(file, "kernels", "Kern", src);
        this.block = JniUtils.loadModule((PtNDManager) manager, file, true, new String[0], new String[0], false);
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the TorchScript kernel archive", e);
    }
    this.store = new ParameterStore(manager, false);
  }

  /** The process-wide bridge (its module has no parameters, so it serves every device). */
  public static Kernels get() {
    Kernels k = instance;
    if (k == null) {
      synchronized (Kernels.class) {
        if (instance == null) {
          instance = new Kernels();
        }
        k = instance;
      }
    }
    return k;
  }

  private NDArray call(String method, NDArray... inputs) {
    NDManager owner = inputs[0].getManager();
    NDList list = new NDList(inputs.length + 1);
    // DJL groups inputs by name ("a.b" into dicts, "x[]" into lists): hide names during the call
    String[] names = new String[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      names[i] = inputs[i].getName();
      if (names[i] != null) {
        inputs[i].setName(null);
      }
      list.add(inputs[i]);
    }
    try (NDManager scratch = owner.newSubManager()) {
      NDArray marker = scratch.create(0f);
      marker.setName("module_method:" + method);
      list.add(marker);
      // no graph-executor optimisation: its differentiable graphs replace ops' own backward (silu's)
      // by symbolic formulas once a method has run twice, so results depended on the call count (a
      // resumed run differed from an uninterrupted one in the 7th digit, TrainerTest)
      JniUtils.setGraphExecutorOptimize(false);
      NDArray out;
      try {
        out = block.forward(store, list, true).singletonOrThrow();
      } finally {
        JniUtils.setGraphExecutorOptimize(OPTIMIZE_DEFAULT);
      }
      out.attach(owner);
      return out;
    } finally {
      for (int i = 0; i < inputs.length; i++) {
        if (names[i] != null) {
          inputs[i].setName(names[i]);
        }
      }
    }
  }

  /** Differentiable cast to bfloat16. */
  public NDArray toBFloat16(NDArray x) {
    return call("to_bf16", x);
  }

  /** Differentiable cast to float32 (from bfloat16, float16 or float64). */
  public NDArray toFloat32(NDArray x) {
    return call("to_f32", x);
  }

  /** Differentiable cast to any compute dtype. */
  public NDArray cast(NDArray x, ComputeDType to) {
    return switch (to) {
      case FLOAT32 -> call("to_f32", x);
      case BFLOAT16 -> call("to_bf16", x);
      case FLOAT16 -> call("to_f16", x);
      case FLOAT64 -> call("to_f64", x);
    };
  }

  /** Whether {@code x} is bfloat16 (DJL itself reports such arrays as UNKNOWN). */
  public boolean isBFloat16(NDArray x) {
    try (NDManager s = x.getManager().newSubManager()) {
      NDArray code = call("dtype_code", x);
      code.attach(s);
      return code.toLongArray()[0] == 15;
    }
  }

  /**
   * Whether autograd records operations on {@code x} (a leaf that requires a gradient, or a result of
   * one in grad mode). DJL's own {@code requiresGrad} answers for leaves only.
   */
  public boolean requiresGrad(NDArray x) {
    if (JniUtils.requiresGrad((PtNDArray) x)) {
      return true;
    }
    if (!JniUtils.isGradMode()) {
      return false;
    }
    try (NDManager s = x.getManager().newSubManager()) {
      NDArray flag = call("requires_grad", x);
      flag.attach(s);
      return flag.toLongArray()[0] != 0;
    }
  }

  /**
   * Little-endian bfloat16 bytes ({@code uint8 [2n]}) as a bfloat16 tensor of {@code shape}, decoded
   * exactly from sign, exponent and mantissa (TorchScript has no dtype-reinterpreting view).
   */
  public NDArray bf16FromBytes(NDArray bytes, Shape shape) {
    try (NDManager s = bytes.getManager().newSubManager()) {
      NDArray dims = s.create(shape.getShape());
      return call("bf16_from_bytes", bytes, dims);
    }
  }

  /**
   * Fused {@code scaled_dot_product_attention} with grouped-query heads. Plain causal attention
   * repeats the key/value heads and calls it without {@code enable_gqa}: libtorch 2.7.1's CPU flash
   * kernel takes no grouped heads, and with them it fell back to the math path (scores, mask, softmax
   * materialised: 7.5% more CPU time and 300 MiB more peak on the SmolLM2-135M step at 1 x 512). A
   * given mask keeps {@code enable_gqa} (the math path): with repeated heads and a mask the flash
   * kernel's query gradient was wrong (KernelsTest, padded rows).
   *
   * @param q {@code [B, N, T, D]}
   * @param k {@code [B, K, S, D]}
   * @param v {@code [B, K, S, D]}
   * @param mask additive {@code [B, 1, T, S]} (causality included), or null for plain causal
   *     attention with T == S
   * @return {@code [B, N, T, D]}
   */
  public NDArray sdpa(NDArray q, NDArray k, NDArray v, NDArray mask) {
    return mask == null ? call("sdpa_causal", q, k, v) : call("sdpa_mask", q, k, v, mask);
  }

  /**
   * {@code x * s} for any floating dtype: DJL turns a Java scalar into an array of x's dtype, which
   * aborts the JVM for bfloat16, so bfloat16 arrays get a bfloat16 scalar made through the bridge.
   */
  public NDArray mulScalar(NDArray x, double s) {
    if (DTypeGuard.isDjlType(x)) {
      return x.mul(scalar(x, s));
    }
    try (NDManager scratch = x.getManager().newSubManager()) {
      NDArray scalar = toBFloat16(scratch.create((float) s));
      NDArray out = x.mul(scalar);
      out.attach(x.getManager());
      return out;
    }
  }

  /**
   * One AdamW step (Loshchilov and Hutter 2019, Algorithm 2) on a group of tensors in a single call:
   * libtorch's fused {@code _fused_adamw_} (decoupled decay, bias correction) after incrementing each
   * tensor's step counter. Runs without autograd; updates everything in place.
   */
  public void adamw(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvg, List<NDArray> expAvgSq,
      List<NDArray> steps, double lr, double beta1, double beta2, double weightDecay, double eps) {
    if (params.isEmpty()) {
      return;
    }
    IValue[] args = {
      list(params), list(grads), list(expAvg), list(expAvgSq), list(steps),
      IValue.from(lr), IValue.from(beta1), IValue.from(beta2), IValue.from(weightDecay), IValue.from(eps)
    };
    try {
      IValueUtils.runMethod(block, "adamw", args).close();
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  /**
   * {@code target.copy_(src)} in place, without autograd (a parameter that requires a gradient
   * included), any dtypes: loading a checkpoint into bfloat16 tensors, which DJL cannot write.
   */
  public void copyInto(NDArray target, NDArray src) {
    IValue[] args = {IValue.from((PtNDArray) target), IValue.from((PtNDArray) src)};
    try {
      IValueUtils.runMethod(block, "copy_into", args).close();
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  private static IValue list(List<NDArray> xs) {
    PtNDArray[] a = new PtNDArray[xs.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (PtNDArray) xs.get(i);
    }
    return IValue.listFrom(a);
  }

  /**
   * Dequantises an NF4 weight: codes (two per byte, high nibble first) looked up in {@code codebook}
   * and scaled by their block's absmax; returns float32 {@code [out, in]}.
   */
  public NDArray dequantNf4(NDArray packed, NDArray absmax, NDArray codebook, long out, long in, int blockSize) {
    try (NDManager s = packed.getManager().newSubManager()) {
      NDArray dims = s.create(new long[] {out, in, blockSize, out * in});
      return call("dequant_nf4", packed, absmax, codebook, dims);
    }
  }

  /** Decodes double-quantised absmax values: {@code map[codes] * absmax2[block] + offset}. */
  public NDArray dequantAbsmax(NDArray codes, NDArray absmax2, NDArray dynamicMap, NDArray offset, int blockSize, long n) {
    try (NDManager s = codes.getManager().newSubManager()) {
      NDArray dims = s.create(new long[] {blockSize, n});
      return call("dequant_absmax", codes, absmax2, dynamicMap, offset, dims);
    }
  }

  /**
   * A scalar of {@code x}'s dtype allocated by libtorch. DJL's {@code x.mul(2f)} builds its scalar
   * on a Java buffer without copying and releases that buffer when the op returns; autograd keeps the
   * scalar for backward (multiplication and division save it), so the gradient later read freed
   * memory (garbage, NaN) whenever the garbage collector ran in between. Every scalar that can reach
   * an autograd graph comes from here.
   */
  public static NDArray scalar(NDArray x, double value) {
    NDArray hi = x.getManager().full(new Shape(), (float) value, x.getDataType());
    if (x.getDataType() != DataType.FLOAT64 || !Double.isFinite(value)) {
      // an infinity has no remainder (inf - inf would make the scalar NaN: top-k/top-p/min-p's -inf)
      return hi;
    }
    // full() takes a float: a float64 scalar is the float and its remainder (1/sqrt(8) was off by 1e-8)
    return hi.add(x.getManager().full(new Shape(), (float) (value - (float) value), DataType.FLOAT64));
  }

  /** Zeros of {@code like}'s dtype (bfloat16 included) and the given shape. */
  public NDArray zeros(NDArray like, Shape shape) {
    try (NDManager s = like.getManager().newSubManager()) {
      NDArray dims = s.create(shape.getShape());
      return call("zeros_like_shape", like, dims);
    }
  }

  /** Rows {@code idx} (int64 {@code [n]}) of {@code x} along axis 0, copied; any dtype. */
  public NDArray selectRows(NDArray x, NDArray idx) {
    return call("select_rows", x, idx);
  }

  /** Sets {@code seen[b, ids[b, j]] = true} in place ({@code seen} boolean {@code [B, V]}, ids int64 {@code [B, n]}). */
  public void markTokens(NDArray seen, NDArray ids) {
    call("mark_tokens", seen, ids).close();
  }

  /**
   * The cross-entropy's gradient with respect to the logits, {@code (exp(logp) - onehot(labels)) * w}, in
   * three passes over {@code [c, V]} (exp, then -1 added at each row's label and the weights multiplied in
   * place) instead of five (one-hot filled, subtracted, weighted); bit for bit the same values (subtracting
   * 0 or 1 and adding -1 round alike). Not differentiable (the caller has autograd off).
   *
   * @param logp {@code [c, V]} log-probabilities
   * @param labels {@code [c]} int64
   * @param w {@code [c]} token weights in logp's dtype, or an empty array for all ones
   */
  public NDArray nllGrad(NDArray logp, NDArray labels, NDArray w) {
    return call("nll_grad", logp, labels, w);
  }

  /**
   * {@code y + x W^T} as one {@code addmm} (the product accumulated into {@code y}'s values by the GEMM),
   * differentiable: what {@code y.add(Linear.linear(x, w))} computes, bit for bit with libtorch's MKL
   * (the sum of each product element and {@code y} rounds once either way), without the separate
   * {@code [..., n]} addition. All three in one dtype.
   *
   * @param y {@code [..., n]}
   * @param x {@code [..., k]}
   * @param w {@code [n, k]}
   */
  public NDArray linearAdd(NDArray y, NDArray x, NDArray w) {
    return call("linear_add", y, x, w);
  }

  /** {@code silu(g) * u} (SwiGLU's gating), differentiable, any floating dtype. */
  public NDArray siluMul(NDArray g, NDArray u) {
    return call("silu_mul", g, u);
  }

  /** Two 4-bit codes per byte, the high nibble first: {@code uint8 [n] -> uint8 [2n]}. */
  public NDArray unpackNibbles(NDArray packed) {
    return call("unpack_nibbles", packed);
  }
}
