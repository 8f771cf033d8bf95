package dev.align4j.recipes.eval;

import java.util.List;

/**
 * One policy measured on held-out prompts by {@link PolicyEvaluator}.
 *
 * @param policy the policy's adapter name ({@code null}: the base model)
 * @param greedy the judge on greedy completions (one per prompt)
 * @param greedySamples the first few greedy completions, for a look
 * @param sampledReward mean judge score of the sampled completions (temperature 1), the samples whose KL
 *     is measured
 * @param kl Monte-Carlo sequence KL(pi || pi_ref): the mean over samples of the sum over completion
 *     tokens of {@code log pi - log pi_ref} of the sampled tokens (the DPO paper's Fig. 2 measure)
 * @param klStdErr its standard error (sample standard deviation over sqrt(n))
 * @param sampleKl each sample's sequence log-ratio, in sampling order (prompt by prompt, k in a row)
 * @param rmScore mean reward-model score of the greedy completions, NaN without a reward model
 * @param samples sampled completions: prompts times samples per prompt
 */
public record PolicyEval(String policy, JudgeScores greedy, List<String> greedySamples, double sampledReward,
    double kl, double klStdErr, double[] sampleKl, double rmScore, int samples) {

  /** Copies. */
  public PolicyEval {
    greedySamples = List.copyOf(greedySamples);
    sampleKl = sampleKl.clone();
  }

  @Override
  public double[] sampleKl() {
    return sampleKl.clone();
  }
}
