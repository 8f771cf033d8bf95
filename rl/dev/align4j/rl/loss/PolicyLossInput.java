package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * Per-token inputs of a PPO policy loss, all {@code [B, T]}.
 *
 * @param logp log-probs of the sampled tokens under the current policy (the input the gradient is
 *     taken with respect to)
 * @param oldLogp log-probs under the policy that generated the rollout (detached)
 * @param advantages per-token advantages
 * @param mask action mask
 */
public record PolicyLossInput(double[][] logp, double[][] oldLogp, double[][] advantages, boolean[][] mask) {
  /** Validates the shapes. */
  public PolicyLossInput {
    if (mask == null) {
      throw new IllegalArgumentException("mask is null");
    }
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    TokenArrays.requireShape("mask", mask, b, t);
    TokenArrays.requireShape("logp", logp, b, t);
    TokenArrays.requireShape("oldLogp", oldLogp, b, t);
    TokenArrays.requireShape("advantages", advantages, b, t);
  }
}
