package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import dev.align4j.peft.kernels.Kernels;
import java.util.ArrayList;
import java.util.List;

/**
 * The weighted next-token cross-entropy of an output head without the {@code [N, V]} logits of the
 * whole batch: rows are taken a chunk at a time, and each chunk's gradients with respect to the
 * hidden states ({@code (softmax - onehot) w W}) and to the head weight ({@code ((softmax - onehot)
 * w)^T h}) are computed right there, while its logits exist, with autograd off. The loss returned is
 * the exact sum plus zero-valued surrogate terms {@code S - detach(S)}, {@code S = sum(h * dh)} (and
 * {@code sum(W * dW)} when the head trains), whose gradients are exactly those: backward reaches the
 * hidden states and the head weight with what the full computation would give, scaled by whatever the
 * caller multiplies the loss by, while no chunk's logits survive the forward. The same memory plan as
 * fused linear cross-entropy kernels (Liger, Apple's Cut Cross-Entropy); here from plain ops.
 *
 * <p>Peak memory of the loss falls from several {@code [N, V]} float32 arrays (logits, their
 * log-softmax, their gradient; 100 MB each at 512 tokens and a 49k vocabulary) to a few {@code [c,
 * V]} chunks.
 */
final class ChunkedCrossEntropy {
  /** Elements of one chunk's {@code [c, V]} logits (16 MB of float32). */
  static final long CHUNK_ELEMENTS = 1L << 22;

  private ChunkedCrossEntropy() {}

  /**
   * {@code sum_n w[n] * -log softmax(h[n] W^T)[labels[n]]} with exact gradients to {@code hidden} and to
   * {@code weight}.
   *
   * @param hidden {@code [N, H]} in the compute dtype (the final hidden states of the predicting
   *     positions)
   * @param weight the head {@code [V, H]} in the compute dtype (may require a gradient)
   * @param labels {@code [N]} int64
   * @param w {@code [N]} float32/float64 token weights, or null for all ones
   * @param rows rows per chunk
   * @return a scalar in float32 (float64 under FLOAT64)
   */
  static NDArray nllSum(NDArray hidden, NDArray weight, NDArray labels, NDArray w, Precision precision, int rows) {
    NDManager owner = hidden.getManager();
    long n = hidden.getShape().get(0);
    long vocab = weight.getShape().get(0);
    boolean hiddenGrad = requiresGrad(hidden);
    boolean weightGrad = requiresGrad(weight);
    NDArray total = null;                                                       // scalar, master dtype
    NDArray dW = null;                                                          // [V, H] master dtype
    List<NDArray> dh = new ArrayList<>();
    // bfloat16: the head's weight gradient is one product over all rows after the last chunk, from the
    // chunks' [c, V] gradients kept in bf16 (2 bytes x N x V: 50 MB at 512 x 49152); per chunk it was six
    // products with an inner dimension of ~86, 580 against 214 ms a step (bench/RESULTS.md, lead section)
    boolean oneHeadProduct = weightGrad && precision == Precision.BFLOAT16;
    List<NDArray> headGrads = new ArrayList<>();
    try (NDScope outer = new NDScope()) {
      NDArray h = hidden.stopGradient();                                        // [N, H], shares storage
      NDArray wt = weight.stopGradient();                                       // [V, H]
      for (long s = 0; s < n; s += rows) {
        long e = Math.min(n, s + rows);
        try (NDScope scope = new NDScope()) {
          NDArray hc = h.get(new NDIndex("{}:{}", s, e));                       // [c, H]
          NDArray lab = labels.get(new NDIndex("{}:{}", s, e));                 // [c]
          NDArray logits = Casts.upcast(Linear.linear(hc, wt).singletonOrThrow(), precision); // [c, V]
          NDArray logp = logits.logSoftmax(-1);                                 // [c, V]
          NDArray nll = logp.gather(lab.expandDims(-1), -1).squeeze(-1).neg(); // [c]
          NDArray wc = w == null ? null : w.get(new NDIndex("{}:{}", s, e)).toType(nll.getDataType(), false); // [c]
          NDArray part = (wc == null ? nll : nll.mul(wc)).sum();
          total = accumulate(total, part);
          if (hiddenGrad || weightGrad) {
            // d nll / d logits = softmax - onehot(label), times the token's weight; one kernel with two
            // in-place passes, as the composed exp, one-hot, sub and mul were 8% of a LoRA step (profile)
            NDArray g = Kernels.get().nllGrad(logp, lab,
                wc != null ? wc : logp.getManager().create(new float[0]));   // [c, V]
            NDArray gc = Casts.downcast(g, precision);                         // [c, V] compute dtype
            if (hiddenGrad) {
              NDArray d = Casts.upcast(gc.matMul(wt), precision);               // [c, H]
              NDScope.unregister(d);
              dh.add(d);
            }
            if (oneHeadProduct) {
              NDScope.unregister(gc);
              headGrads.add(gc);
            } else if (weightGrad) {
              dW = accumulate(dW, Casts.upcast(gc.transpose().matMul(hc), precision)); // [V, H]
            }
          }
        }
      }
      if (oneHeadProduct) {
        NDArray g = headGrads.size() == 1 ? headGrads.get(0) : NDArrays.concat(new NDList(headGrads), 0); // [N, V]
        dW = Casts.upcast(g.transpose().matMul(h), precision);                  // [V, H]
        NDScope.unregister(dW);
        headGrads.forEach(NDArray::close);
      }
    }
    NDArray loss = total;
    if (hiddenGrad) {
      NDArray grad = dh.size() == 1 ? dh.get(0) : NDArrays.concat(new NDList(dh), 0);   // [N, H]
      if (dh.size() > 1) {
        dh.forEach(NDArray::close);
      }
      loss = loss.add(zeroWithGradient(hidden, precision, grad, owner));
    }
    if (weightGrad) {
      loss = loss.add(zeroWithGradient(weight, precision, dW, owner));
    }
    loss.attach(owner);
    return loss;
  }

  /** {@code acc + x} in place (the first {@code x} becomes the accumulator), kept past the chunk's scope. */
  private static NDArray accumulate(NDArray acc, NDArray x) {
    if (acc == null) {
      NDScope.unregister(x);
      return x;
    }
    return acc.addi(x);
  }

  /**
   * {@code sum(up(x) * g) - detach(sum(up(x) * g))}: zero, with gradient {@code g} with respect to
   * {@code x} (upcast to float32 under bfloat16), on {@code owner}. Its intermediates are closed at
   * once: autograd keeps what the gradient needs, and DJL attaches a result to its first operand's
   * manager, which for the head weight is the model's: the {@code [V, H]} product (and under bfloat16
   * the float32 copy) of every step stayed there until the model closed (108 MiB a step at the
   * SmolLM2-135M shape under full fine-tuning).
   */
  private static NDArray zeroWithGradient(NDArray x, Precision precision, NDArray g, NDManager owner) {
    try (NDScope scope = new NDScope()) {
      NDArray s = Casts.upcast(x, precision).mul(g).sum();
      NDArray zero = s.sub(s.stopGradient());
      NDScope.unregister(zero);
      zero.attach(owner);
      return zero;
    }
  }

  /** Rows per chunk so that a chunk's logits hold about {@link #CHUNK_ELEMENTS} elements. */
  static int rowsFor(long vocab) {
    return (int) Math.max(16, CHUNK_ELEMENTS / Math.max(1, vocab));
  }

  /**
   * Rows per chunk for {@code n} rows: chunks of equal size (the last at most one row per chunk short),
   * their count {@code n / rowsFor(vocab)} rounded to the nearest, so that a chunk holds at most 1.5 times
   * {@link #CHUNK_ELEMENTS} (one chunk) and about it otherwise. 511 rows at 85 a chunk were six chunks
   * and a one-row remainder, whose two products with the {@code [V, H]} head are matrix-vector products
   * that read the whole head for one row (29 of the step's 5,000 CPU ms at the SmolLM2-135M shape); six
   * chunks of 86 (the last 81) do the same work in GEMMs.
   */
  static int rowsFor(long n, long vocab) {
    long max = rowsFor(vocab);
    long chunks = Math.max(1, (n + max / 2) / max);
    return (int) Math.max(1, (n + chunks - 1) / chunks);
  }

  private static boolean requiresGrad(NDArray x) {
    return Kernels.get().requiresGrad(x);
  }
}
