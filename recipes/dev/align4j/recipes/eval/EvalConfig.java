package dev.align4j.recipes.eval;

/**
 * How {@link PolicyEvaluator} measures a policy.
 *
 * @param maxNewTokens longest completion (greedy and sampled), the demo's 48
 * @param samplesPerPrompt sampled completions per held-out prompt (temperature 1) for the KL and the
 *     sampled reward
 * @param seed the sampling seed: the same seed gives the same samples, hence the same numbers
 * @param greedyBatch prompts per greedy generation call ({@code IncidentEval} uses 16)
 * @param sampleBatch rows per sampling call and per teacher-forced forward
 */
public record EvalConfig(int maxNewTokens, int samplesPerPrompt, long seed, int greedyBatch, int sampleBatch) {

  /** Validates. */
  public EvalConfig {
    if (maxNewTokens < 1 || samplesPerPrompt < 1 || greedyBatch < 1 || sampleBatch < 1) {
      throw new IllegalArgumentException("eval: max_new_tokens, samples per prompt and batch sizes must be >= 1, got "
          + maxNewTokens + ", " + samplesPerPrompt + ", " + greedyBatch + ", " + sampleBatch);
    }
  }

  /** The demo's settings: 48 new tokens, {@code k} samples per prompt, greedy in batches of 16. */
  public static EvalConfig of(int samplesPerPrompt, long seed) {
    return new EvalConfig(48, samplesPerPrompt, seed, 16, 32);
  }
}
