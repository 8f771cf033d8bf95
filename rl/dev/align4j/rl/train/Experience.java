package dev.align4j.rl.train;

/**
 * One sampled completion as the training steps see it: what the rollout measured and what the
 * advantage estimator made of it. Per-token arrays have the completion's length.
 *
 * @param prompt prompt tokens
 * @param completion completion tokens (through the first EOS)
 * @param oldLogp log-probs under the rollout policy, or null for "the update's own, detached": the rollout
 *     skipped its policy forward because it feeds one optimizer step, whose forward runs at the rollout's
 *     parameters ({@link RlObjective} then uses its log-probs without gradient, ratio exactly 1)
 * @param refLogp log-probs under the reference (null when unused)
 * @param advantage the sequence's advantage (GRPO, RLOO); NaN for per-token estimators
 * @param advantages per-token advantages (PPO), or null
 * @param returns per-token value targets (PPO), or null
 * @param oldValues per-token critic values at rollout time (PPO), or null
 */
public record Experience(long[] prompt, long[] completion, double[] oldLogp, double[] refLogp, double advantage,
    double[] advantages, double[] returns, double[] oldValues) {

  /** Checks lengths. */
  public Experience {
    int n = completion.length;
    if ((oldLogp != null && oldLogp.length != n) || (refLogp != null && refLogp.length != n)
        || (advantages != null && advantages.length != n)
        || (returns != null && returns.length != n) || (oldValues != null && oldValues.length != n)) {
      throw new IllegalArgumentException("every per-token array needs " + n + " entries");
    }
  }

  /** Completion tokens. */
  public int length() {
    return completion.length;
  }
}
