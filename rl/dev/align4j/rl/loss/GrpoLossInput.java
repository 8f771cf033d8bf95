package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;

/**
 * Inputs of the GRPO loss.
 *
 * @param logp per-token log-probs of the completions under the current policy {@code [B, T]} (on
 *     logits divided by the sampling temperature, as TRL)
 * @param oldLogp the same under the rollout policy {@code [B, T]}; pass a copy of {@code logp} when
 *     on-policy (TRL's {@code per_token_logps.detach()}: ratio 1 in value, gradient A)
 * @param refLogp reference log-probs {@code [B, T]}, or null when beta is 0
 * @param advantages one advantage per completion {@code [B]} (see {@link
 *     dev.align4j.rl.advantage.GrpoAdvantages})
 * @param mask completion mask {@code [B, T]} (ends at the first EOS)
 */
public record GrpoLossInput(double[][] logp, double[][] oldLogp, double[][] refLogp, double[] advantages,
    boolean[][] mask) {
  /** Validates the shapes. */
  public GrpoLossInput {
    if (mask == null) {
      throw new IllegalArgumentException("mask is null");
    }
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    TokenArrays.requireShape("mask", mask, b, t);
    TokenArrays.requireShape("logp", logp, b, t);
    TokenArrays.requireShape("oldLogp", oldLogp, b, t);
    if (refLogp != null) {
      TokenArrays.requireShape("refLogp", refLogp, b, t);
    }
    TokenArrays.requireLength("advantages", advantages, b);
  }
}
