package dev.align4j.rl.rollout;

/**
 * How rollouts are sampled.
 *
 * @param numGenerations completions per prompt (GRPO's group size; 1 for PPO)
 * @param maxNewTokens longest completion
 * @param temperature sampling temperature; the log-probs are of {@code logits / temperature}, as TRL's
 * @param topK top-k filter of the sampling (0: off)
 * @param topP top-p filter of the sampling (1: off)
 * @param batchSize rows per generation call and per scoring forward
 * @param eosIds tokens that end a completion (kept, and inside the mask)
 * @param padId padding id of the forwards
 */
public record RolloutConfig(int numGenerations, int maxNewTokens, double temperature, int topK, double topP,
    int batchSize, long[] eosIds, long padId) {

  /** Validates. */
  public RolloutConfig {
    if (numGenerations < 1) {
      throw new IllegalArgumentException("num_generations must be >= 1, got " + numGenerations);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("max_completion_length must be >= 1, got " + maxNewTokens);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (topK < 0 || !(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_k must be >= 0 and top_p in (0, 1], got " + topK + ", " + topP);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("rollout batch size must be >= 1, got " + batchSize);
    }
    eosIds = eosIds == null ? new long[0] : eosIds.clone();
  }

  @Override
  public long[] eosIds() {
    return eosIds.clone();
  }
}
