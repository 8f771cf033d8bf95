package dev.align4j.rl.advantage;

/**
 * Per-token advantages and returns {@code [B, T]} of one rollout batch.
 *
 * @param advantages {@code A_t}, the policy-gradient weights
 * @param returns {@code R_t}, the value targets ({@code A_t + V_t} under GAE)
 */
public record AdvantagesAndReturns(double[][] advantages, double[][] returns) {}
