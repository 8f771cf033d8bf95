package dev.align4j.rl.loss;

/**
 * The PPO policy loss and its metrics.
 *
 * @param value loss, units and the gradient of the sum with respect to {@code logp}
 * @param clipFraction {@code policy/clipfrac}: masked mean of {@code surr2 < surr1} (the clipped branch
 *     is active)
 * @param approxKl {@code policy/approxkl}: OpenRLHF's {@code ppo_kl}, the masked mean of {@code
 *     -(logp - logp_old)} (k1 of KL(old || new))
 */
public record PolicyLossResult(LossValue value, double clipFraction, double approxKl) {
  /** The loss. */
  public double loss() {
    return value.loss();
  }
}
