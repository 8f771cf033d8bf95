package dev.align4j.peft.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;

/**
 * transformers' logits processors and warpers ({@code generation/logits_process.py}) as tensor ops
 * on the logits' device, in the order {@code GenerationMixin._get_logits_processor} applies them:
 * the repetition penalty (greedy decoding too), then, when sampling, temperature, top-k, top-p and
 * min-p. A removed token gets {@code -inf}, as transformers' {@code filter_value}.
 *
 * <p>Legend: B rows, V vocabulary.
 */
public final class LogitsProcessors {
  private LogitsProcessors() {}

  /**
   * @param logits raw next-token logits {@code [B, V]}, float32
   * @param seen boolean {@code [B, V]}: tokens already in each row's prompt or completion; may be
   *     null when the repetition penalty is off
   * @return the scores tokens are picked from {@code [B, V]} (the input itself when nothing applies)
   */
  public static NDArray apply(NDArray logits, NDArray seen, GenerationConfig cfg) {
    NDArray s = logits;
    if (cfg.repetitionPenalty() != 1.0) {
      s = repetitionPenalty(s, seen, cfg.repetitionPenalty());
    }
    if (!cfg.doSample()) {
      return s;                                   // warpers only shape sampling, as in transformers
    }
    if (cfg.temperature() != 1.0) {
      s = s.div(Kernels.scalar(s, cfg.temperature()));
    }
    if (cfg.topK() > 0) {
      s = topK(s, cfg.topK());
    }
    if (cfg.topP() < 1.0) {
      s = topP(s, cfg.topP());
    }
    if (cfg.minP() > 0) {
      s = minP(s, cfg.minP());
    }
    return s;
  }

  /** Seen tokens' scores: divided by the penalty when positive, multiplied when negative. */
  static NDArray repetitionPenalty(NDArray s, NDArray seen, double penalty) {
    if (seen == null) {
      throw new IllegalArgumentException("the repetition penalty needs the seen-token mask");
    }
    NDArray p = Kernels.scalar(s, penalty);
    NDArray penalised = NDArrays.where(s.lt(Kernels.scalar(s, 0)), s.mul(p), s.div(p));    // [B, V]
    return NDArrays.where(seen, penalised, s);
  }

  /** Keeps tokens scoring at least the k-th best score (ties with it stay), as {@code TopKLogitsWarper}. */
  static NDArray topK(NDArray s, int k) {
    long v = s.getShape().get(1);
    NDArray kth = s.topK((int) Math.min(k, v), 1, true, true).get(0).get(":, -1:");   // [B, 1]
    return NDArrays.where(s.gte(kth), s, negInf(s));
  }

  /**
   * Keeps the most likely tokens whose mass reaches p, at least one, as {@code TopPLogitsWarper}:
   * sorted ascending, a token goes when the cumulative probability up to it is {@code <= 1 - p}.
   */
  static NDArray topP(NDArray s, double p) {
    long b = s.getShape().get(0);
    NDArray order = s.argSort(1, true);                                             // [B, V] ascending
    NDArray cum = s.gather(order, 1).softmax(1).cumSum(1);                          // [B, V]
    NDArray gone = cum.get(":, :-1").lte(Kernels.scalar(cum, 1 - p))                // [B, V-1]
        .concat(s.getManager().zeros(new Shape(b, 1), DataType.BOOLEAN), 1);       // the best stays
    NDArray remove = gone.scatter(order, gone, 1);                                  // back to vocab order
    return NDArrays.where(remove.logicalNot(), s, negInf(s));
  }

  /** Drops tokens less likely than {@code minP} times the most likely one, as {@code MinPLogitsWarper}. */
  static NDArray minP(NDArray s, double minP) {
    NDArray probs = s.softmax(1);                                                   // [B, V]
    NDArray floor = probs.max(new int[] {1}, true).mul(Kernels.scalar(probs, minP)); // [B, 1]
    // the most likely token always stays: its probability is the maximum and minP <= 1
    return NDArrays.where(probs.gte(floor), s, negInf(s));
  }

  private static NDArray negInf(NDArray s) {
    return Kernels.scalar(s, Double.NEGATIVE_INFINITY);
  }
}
