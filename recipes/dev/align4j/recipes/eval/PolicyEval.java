package dev.align4j.recipes.eval;

import java.util.List;

/**
 * One policy measured on held-out prompts by {@link PolicyEvaluator}.
 *
 * @param policy the policy's adapter name ({@code null}: the base model)
 * @param greedy the judge on greedy completions (one per prompt)
 * @param greedySamples the first few greedy completions, for a look
 * @param sampled the judge on the sampled completions (temperature 1, {@code samples / prompts} per
 *     prompt, seeded), the samples whose KL is measured: what RL at temperature 1 optimises, where
 *     {@code greedy} is what the policy answers at its most likely
 * @param kl Monte-Carlo sequence KL(pi || pi_ref): the mean over samples of the sum over completion
 *     tokens of {@code log pi - log pi_ref} of the sampled tokens (the DPO paper's Fig. 2 measure)
 * @param klStdErr its standard error (sample standard deviation over sqrt(n))
 * @param sampleKl each sample's sequence log-ratio, in sampling order (prompt by prompt, k in a row)
 * @param rmScore mean reward-model score of the greedy completions, NaN without a reward model
 * @param samples sampled completions: prompts times samples per prompt
 */
public record PolicyEval(String policy, JudgeScores greedy, List<String> greedySamples, JudgeScores sampled,
    double kl, double klStdErr, double[] sampleKl, double rmScore, int samples) {

  /** Copies. */
  public PolicyEval {
    greedySamples = List.copyOf(greedySamples);
    sampleKl = sampleKl.clone();
  }

  /** The mean judge score of the sampled completions ({@code sampled().mean()}). */
  public double sampledReward() {
    return sampled.mean();
  }

  @Override
  public double[] sampleKl() {
    return sampleKl.clone();
  }
}
