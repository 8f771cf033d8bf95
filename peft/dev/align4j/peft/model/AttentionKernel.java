package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.Kernels;

/** Computes {@code softmax(q k^T / sqrt(D) + mask) v} with grouped-query heads. */
@FunctionalInterface
interface AttentionKernel {
  /**
   * @param q {@code [B, N, T, D]}
   * @param k {@code [B, K, S, D]}
   * @param v {@code [B, K, S, D]}
   * @param mask additive {@code [B, 1, T, S]}
   * @return {@code [B, N, T, D]}
   */
  NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision);

  /** The reference: matmuls and a float32 softmax from plain DJL ops. */
  static NDArray composed(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision) {
    if (precision == Precision.BFLOAT16) {
      // DJL cannot apply a Java scalar to a bfloat16 array: compute the reference in float32
      return Casts.downcast(composed(Casts.upcast(q, precision), Casts.upcast(k, precision),
          Casts.upcast(v, precision), Casts.upcast(mask, precision), Precision.FLOAT32), precision);
    }
    long n = q.getShape().get(1);
    long kvHeads = k.getShape().get(1);
    long d = q.getShape().get(3);
    if (n != kvHeads) {
      // query head h reads key/value head h / G, as transformers' repeat_kv
      k = k.repeat(1, n / kvHeads);                                 // [B, N, S, D]
      v = v.repeat(1, n / kvHeads);                                 // [B, N, S, D]
    }
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2))              // [B, N, T, S]
        .mul(Kernels.scalar(q, 1.0 / Math.sqrt(d)))  // a libtorch-owned scalar (see Kernels.scalar)
        .add(mask);
    return scores.softmax(-1).matMul(v);                                         // [B, N, T, D]
  }

  /**
   * One query per row (a decoding step) without repeating key/value heads: the G query heads of a
   * key/value head are stacked as G "rows" against it, {@code [B, K, G, D] x [B, K, D, S]}, which is
   * {@link #composed} without copying the cache G times. Query head h reads key/value head h / G, as
   * transformers' {@code repeat_kv}.
   *
   * @param q {@code [B, N, 1, D]}
   * @param mask additive {@code [B, 1, 1, S]}
   */
  static NDArray singleQuery(NDArray q, NDArray k, NDArray v, NDArray mask, Precision precision) {
    if (precision == Precision.BFLOAT16) {
      return Casts.downcast(singleQuery(Casts.upcast(q, precision), Casts.upcast(k, precision),
          Casts.upcast(v, precision), Casts.upcast(mask, precision), Precision.FLOAT32), precision);
    }
    long b = q.getShape().get(0);
    long n = q.getShape().get(1);
    long d = q.getShape().get(3);
    long kv = k.getShape().get(1);
    NDArray qg = q.reshape(b, kv, n / kv, d);                                  // [B, K, G, D]
    NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2))                        // [B, K, G, S]
        .mul(Kernels.scalar(q, 1.0 / Math.sqrt(d)))
        .add(mask);                                                            // mask [B, 1, 1, S]
    return scores.softmax(-1).matMul(v).reshape(b, n, 1, d);                   // [B, N, 1, D]
  }
}
