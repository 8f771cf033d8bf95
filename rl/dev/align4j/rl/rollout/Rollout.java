package dev.align4j.rl.rollout;

import java.util.ArrayList;
import java.util.List;

/**
 * One batch of sampled experience: B rows (each prompt {@code numGenerations} times in a row), per
 * completion token ({@code [B][T]}, T the longest completion, zero past a row's end) the mask, the
 * policy's log-probs at sampling time, the reference's log-probs and the critic's values, and per row
 * the reward score. A mask covers a completion up to and including its first EOS.
 *
 * @param prompts the prompt of each row
 * @param group the index of each row's prompt in the batch (rows of a group share it)
 * @param completions each row's tokens, unpadded (the EOS that ended it included)
 * @param texts each completion decoded
 * @param eos whether a row ended with an EOS (rather than at the length limit)
 * @param mask {@code [B][T]} 1 on completion tokens
 * @param logProbs {@code [B][T]} log-probs under the policy (of {@code logits / temperature}), or null when
 *     the rollout skipped that forward because the update's own detached log-probs stand in for them
 *     (one optimizer step per rollout: {@link RolloutSampler#sample(List, long, boolean)})
 * @param refLogProbs {@code [B][T]} log-probs under the reference (same temperature)
 * @param values {@code [B][T]} critic values at the state before each token, or null without a critic
 * @param scores {@code [B]} reward scores (NaN: none)
 */
public record Rollout(List<RlPrompt> prompts, int[] group, List<long[]> completions, List<String> texts, boolean[] eos,
    double[][] mask, double[][] logProbs, double[][] refLogProbs, double[][] values, double[] scores) {

  /** Checks that every array has B rows. */
  public Rollout {
    int b = prompts.size();
    if (group.length != b || completions.size() != b || texts.size() != b || eos.length != b || mask.length != b
        || (logProbs != null && logProbs.length != b) || refLogProbs.length != b || (values != null && values.length != b)
        || scores.length != b) {
      throw new IllegalArgumentException("every rollout array needs " + b + " rows");
    }
    prompts = List.copyOf(prompts);
    completions = List.copyOf(completions);
    texts = List.copyOf(texts);
  }

  /** Whether the policy's log-probs at sampling time were computed (false: the update's stand in). */
  public boolean hasLogProbs() {
    return logProbs != null;
  }

  /** Rows B. */
  public int size() {
    return prompts.size();
  }

  /** T, the longest completion. */
  public int width() {
    return mask.length == 0 ? 0 : mask[0].length;
  }

  /** Completion tokens of row {@code i}. */
  public int length(int i) {
    return completions.get(i).length;
  }

  /** Mean completion length in tokens. */
  public double meanLength() {
    double s = 0;
    for (long[] c : completions) {
      s += c.length;
    }
    return completions.isEmpty() ? 0 : s / completions.size();
  }

  /** Share of rows that ended with an EOS. */
  public double eosRate() {
    int n = 0;
    for (boolean e : eos) {
      n += e ? 1 : 0;
    }
    return eos.length == 0 ? 0 : (double) n / eos.length;
  }

  /** The rows' prompts' token ids. */
  public List<long[]> promptIds() {
    List<long[]> out = new ArrayList<>();
    prompts.forEach(p -> out.add(p.ids()));
    return out;
  }
}
