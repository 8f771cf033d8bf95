package dev.align4j.peft.data.preference;

import java.util.Objects;

/**
 * A pair tokenised for reward modelling as TRL's RewardTrainer does: each side is the whole
 * prompt + completion sequence. Arrays are owned by the record (not copied); equality is identity.
 *
 * @param source       the pair (location, margin, extras)
 * @param chosenIds    prompt + chosen tokens
 * @param rejectedIds  prompt + rejected tokens
 * @param promptTokens how many leading tokens of both sides are the prompt (the prompt tokenised
 *                     alone, as DPO does, when it is a prefix of both; else 0); used only to cut the
 *                     prompt first ({@link TruncationMode#PROMPT_FIRST})
 */
public record RewardEncoding(PreferencePair source, long[] chosenIds, long[] rejectedIds, int promptTokens) {
  public RewardEncoding {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(chosenIds, "chosenIds");
    Objects.requireNonNull(rejectedIds, "rejectedIds");
    if (promptTokens < 0 || promptTokens > Math.min(chosenIds.length, rejectedIds.length)) {
      throw new IllegalArgumentException("promptTokens out of range: " + promptTokens);
    }
  }

  /** The longer side's length. */
  public int maxLength() {
    return Math.max(chosenIds.length, rejectedIds.length);
  }
}
