package dev.align4j.rl.loss;

import ai.djl.ndarray.NDArray;

/**
 * Entropy of the next-token distribution, {@code H = logsumexp(z) - sum softmax(z) z} (OpenRLHF {@code
 * compute_entropy}, TRL {@code entropy_from_logits}), the {@code objective/entropy} metric.
 */
public final class Entropy {
  private Entropy() {}

  /** The entropy of one logit vector, in float64. */
  public static double of(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z);
    }
    double s = 0;
    for (double z : logits) {
      s += Math.exp(z - max);
    }
    double lse = max + Math.log(s);
    double pz = 0;
    for (double z : logits) {
      double p = Math.exp(z - lse);
      if (p > 0) {
        pz += p * z;
      }
    }
    return lse - pz;
  }

  /**
   * Per-position entropies {@code [B, T]} of logits {@code [B, T, V]} divided by {@code temperature}
   * (TRL scores the policy on logits / temperature), as {@code -sum p log p} on the logits' manager.
   */
  public static NDArray of(NDArray logits, double temperature) {
    NDArray z = temperature == 1.0 ? logits : logits.div(temperature);
    NDArray logp = z.logSoftmax(-1);                                          // [B, T, V]
    return logp.exp().mul(logp).sum(new int[] {-1}).neg();                   // [B, T]
  }
}
