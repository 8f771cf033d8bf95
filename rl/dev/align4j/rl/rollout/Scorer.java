package dev.align4j.rl.rollout;

import java.util.List;

/**
 * Scores sampled completions: a rule-based reward function, a weighted sum of several, or a reward
 * model on the shared base. NaN means "no score" for a sample (TRL's {@code None}).
 */
@FunctionalInterface
public interface Scorer {
  /** One sampled completion with its prompt. */
  record Sample(RlPrompt prompt, long[] completionIds, String completion, boolean endedWithEos) {}

  /** One score per sample, in order. */
  double[] score(List<Sample> samples);
}
