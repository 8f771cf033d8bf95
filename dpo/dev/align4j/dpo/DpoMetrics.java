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
    tokenMetrics(m, logits, batch, out);
    return out;
  }

  /** logits/chosen|rejected, entropy and mean_token_accuracy over the completion tokens. */
  private static void tokenMetrics(NDManager m, NDArray logits, DpoBatch batch, Map<String, NDArray> out) {
    int b = batch.pairs();
    NoGrad.run(() -> {
      NDArray z = logits.stopGradient().get(":, :-1, :");                                   // [2B, T-1, V]
      NDArray mask = CompletionLogps.like(batch.completionMask(), z);                       // [2B, T-1]
      NDArray meanLogit = z.mean(new int[] {2});                                            // [2B, T-1]
      NDArray logp = z.logSoftmax(-1);
      NDArray entropy = logp.exp().mul(logp).sum(new int[] {2}).neg();                      // [2B, T-1]
      NDArray labels = batch.input().inputIds().get(":, 1:");
      NDArray correct = z.argMax(-1).eq(labels).toType(z.getDataType(), false);              // [2B, T-1]
      double[] mk = mask.toType(DataType.FLOAT64, false).toDoubleArray();
      double[] ml = meanLogit.mul(mask).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();                 // [2B]
      double[] en = entropy.mul(mask).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
      double[] ok = correct.mul(mask).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
      int cols = (int) mask.getShape().get(1);
      double[] tokens = new double[2 * b];
      for (int r = 0; r < 2 * b; r++) {
        for (int j = 0; j < cols; j++) {
          tokens[r] += mk[r * cols + j];
        }
      }
      double tc = 0, tr = 0, sc = 0, sr = 0, e = 0, a = 0;
      for (int i = 0; i < b; i++) {
        tc += tokens[i];
        tr += tokens[b + i];
        sc += ml[i];
        sr += ml[b + i];
        e += en[i] + en[b + i];
        a += ok[i];
      }
      out.put("logits/chosen", m.create(tc > 0 ? b * sc / tc : 0.0));
      out.put("logits/rejected", m.create(tr > 0 ? b * sr / tr : 0.0));
      out.put("entropy", m.create(tc + tr > 0 ? b * e / (tc + tr) : 0.0));
      out.put("mean_token_accuracy", m.create(tc > 0 ? b * a / tc : 0.0));
      return null;
    });
  }
}
