package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The logit-level metrics TRL 1.13's {@code DPOTrainer._compute_loss} logs besides the rewards, from the
 * policy's next-token logits (no gradient): {@code logits/chosen} and {@code logits/rejected} (the mean
 * over completion tokens of the mean logit over the vocabulary), {@code entropy} (mean next-token entropy
 * in nats over the completion tokens of both sides) and {@code mean_token_accuracy} (how often the argmax
 * is the chosen completion's next token). KTO logs the first three with its desirable examples as
 * "chosen" (either side may then have no rows: its logit mean is 0 and TRL omits it).
 */
public record LogitMetrics(double logitsChosen, double logitsRejected, double entropy, double meanTokenAccuracy) {

  /**
   * From shifted logits {@code [B, T, V]} (position t predicts label t) of each side, the chosen labels
   * {@code [B, T]} (int64) and each side's completion mask {@code [B, T]}; the sides may differ in T.
   */
  public static LogitMetrics of(NDArray chosenLogits, NDArray rejectedLogits, NDArray chosenLabels,
      NDArray chosenMask, NDArray rejectedMask) {
    NDArray zc = chosenLogits.stopGradient();
    NDArray zr = rejectedLogits.stopGradient();
    NDArray mc = chosenMask.toType(zc.getDataType(), false);
    NDArray mr = rejectedMask.toType(zr.getDataType(), false);
    double nc = mc.sum().toType(DataType.FLOAT64, false).getDouble();
    double nr = mr.sum().toType(DataType.FLOAT64, false).getDouble();
    double logitsChosen = nc > 0 ? value(zc.mean(new int[] {2}).mul(mc).sum()) / nc : 0;
    double logitsRejected = nr > 0 ? value(zr.mean(new int[] {2}).mul(mr).sum()) / nr : 0;
    double entropySum = (nc > 0 ? value(entropy(zc).mul(mc).sum()) : 0) + (nr > 0 ? value(entropy(zr).mul(mr).sum()) : 0);
    double entropy = nc + nr > 0 ? entropySum / (nc + nr) : 0;
    double accuracy = 0;
    if (nc > 0) {
      NDArray hit = zc.argMax(2).eq(chosenLabels.toType(DataType.INT64, false)).toType(zc.getDataType(), false);
      accuracy = value(hit.mul(mc).sum()) / nc;
    }
    return new LogitMetrics(logitsChosen, logitsRejected, entropy, accuracy);
  }

  /** Per-position entropy {@code lse(z) - sum_v softmax(z)_v z_v}, [B, T]. */
  static NDArray entropy(NDArray z) {
    NDArray logp = z.logSoftmax(2);
    return logp.exp().mul(logp).sum(new int[] {2}).neg();
  }

  private static double value(NDArray x) {
    return x.toType(DataType.FLOAT64, false).getDouble();
  }

  /** TRL's names and values. */
  public Map<String, Double> logs() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("logits/chosen", logitsChosen);
    m.put("logits/rejected", logitsRejected);
    m.put("entropy", entropy);
    m.put("mean_token_accuracy", meanTokenAccuracy);
    return m;
  }
}
