package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TRL 1.13 {@code DPOTrainer}'s logged metrics of one micro-batch, as sums over its B pairs (the
 * engine divides by the effective batch's pairs, which for equal micro-batches is TRL's average of
 * per-micro-batch means). Token-level figures (logits, entropy, token accuracy) are TRL's token means
 * of the micro-batch, multiplied by B for that reason.
 */
final class DpoMetrics {
  private DpoMetrics() {}

  /**
   * @param logs the loss's TRL metrics of this micro-batch (means over its pairs)
   * @param logits next-token logits {@code [2B, T, V]}
   */
  static Map<String, NDArray> of(NDManager m, Map<String, Double> logs, NDArray logits, DpoBatch batch) {
    int b = batch.pairs();
    Map<String, NDArray> out = new LinkedHashMap<>();
    logs.forEach((k, v) -> out.put(k, m.create(b * v)));
    boolean[] chosen = new boolean[2 * b];
    java.util.Arrays.fill(chosen, 0, b, true);
    tokenMetrics(m, logits, batch, chosen, true, b, out);
    return out;
  }

  /**
   * logits/chosen|rejected, entropy and (with {@code accuracy}) mean_token_accuracy over the completion
   * tokens, each TRL's token mean of the micro-batch times its {@code units} (pairs or examples).
   *
   * @param chosen which rows are chosen/desirable (DPO: the first half; KTO: by label)
   */
  static void tokenMetrics(NDManager m, NDArray logits, DpoBatch batch, boolean[] chosen, boolean accuracy, int units,
      Map<String, NDArray> out) {
    NoGrad.run(() -> {
      NDArray z = logits.stopGradient().get(":, :-1, :");                                   // [R, T-1, V]
      NDArray mask = CompletionLogps.like(batch.completionMask(), z);                       // [R, T-1]
      NDArray logp = z.logSoftmax(-1);
      double[] ml = rowSums(z.mean(new int[] {2}), mask);                                   // [R]
      double[] en = rowSums(logp.exp().mul(logp).sum(new int[] {2}).neg(), mask);
      double[] tk = rowSums(mask.onesLike(), mask);
      double[] ok = accuracy ? rowSums(z.argMax(-1).eq(batch.input().inputIds().get(":, 1:"))
          .toType(z.getDataType(), false), mask) : null;
      double tc = 0, tr = 0, sc = 0, sr = 0, e = 0, a = 0;
      for (int r = 0; r < chosen.length; r++) {
        e += en[r];
        if (chosen[r]) {
          tc += tk[r];
          sc += ml[r];
          a += accuracy ? ok[r] : 0;
        } else {
          tr += tk[r];
          sr += ml[r];
        }
      }
      // TRL logs a figure only when its tokens exist (KTO), or 0 (DPO): the DPO batches always have both
      if (tc > 0 || accuracy) {
        out.put("logits/chosen", m.create(tc > 0 ? units * sc / tc : 0.0));
      }
      if (tr > 0 || accuracy) {
        out.put("logits/rejected", m.create(tr > 0 ? units * sr / tr : 0.0));
      }
      out.put("entropy", m.create(tc + tr > 0 ? units * e / (tc + tr) : 0.0));
      if (accuracy) {
        out.put("mean_token_accuracy", m.create(tc > 0 ? units * a / tc : 0.0));
      }
      return null;
    });
  }

  private static double[] rowSums(NDArray x, NDArray mask) {
    return x.mul(mask).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
