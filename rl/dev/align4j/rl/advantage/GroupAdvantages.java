package dev.align4j.rl.advantage;

/**
 * Sequence-level advantages of a group estimator, one per completion.
 *
 * @param advantages {@code [N]}, 0 for unscorable completions
 * @param stdIsZero {@code [N]}: the std used (group, or batch) was 0, i.e. the group carries no
 *     signal (TRL's {@code frac_reward_zero_std})
 */
public record GroupAdvantages(double[] advantages, boolean[] stdIsZero) {}
