package dev.align4j.rl.loss;

/** TRL GRPO's {@code importance_sampling_level}. */
public enum ImportanceSamplingLevel {
  /** One ratio per token, {@code exp(logp_t - logp_old_t)} (GRPO, PPO). */
  TOKEN,
  /**
   * One ratio per sequence, {@code exp(mean_t(logp_t - logp_old_t))} (GSPO, Zheng et al. 2025,
   * "Group Sequence Policy Optimization", eq. 7), broadcast over the sequence's tokens.
   */
  SEQUENCE
}
