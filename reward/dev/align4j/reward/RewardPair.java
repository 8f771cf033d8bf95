package dev.align4j.reward;

import dev.align4j.peft.train.PairObjective;

/**
 * One tokenised preference pair as a reward model trains on it: the whole chosen and rejected
 * sequences (prompt included; for text TRL appends EOS, a conversation is its chat template), and
 * the margin by which the chosen one should win ({@code 0} for none).
 *
 * @param chosen token ids of prompt + chosen completion, non-empty
 * @param rejected token ids of prompt + rejected completion, non-empty
 * @param margin subtracted from {@code r(chosen) - r(rejected)} in the loss (TRL's {@code margin} column)
 */
public record RewardPair(long[] chosen, long[] rejected, double margin) implements PairObjective.Pair {
  /** Validates. */
  public RewardPair {
    if (chosen == null || chosen.length == 0 || rejected == null || rejected.length == 0) {
      throw new IllegalArgumentException("a reward pair needs non-empty chosen and rejected token ids");
    }
    if (!Double.isFinite(margin)) {
      throw new IllegalArgumentException("margin must be finite, got " + margin);
    }
  }

  /** A pair without margin. */
  public RewardPair(long[] chosen, long[] rejected) {
    this(chosen, rejected, 0);
  }

  /** Tokens of both sides. */
  public long tokens() {
    return chosen.length + rejected.length;
  }
}
