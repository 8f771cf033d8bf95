package dev.align4j.peft.data.preference;

import java.util.Objects;

/**
 * A pair tokenised for DPO as TRL's DPOTrainer does: the prompt, and each completion as the tokens of
 * prompt + completion after the prompt's length ({@code full[len(prompt_ids):]}). The training
 * sequence of a side is {@code promptIds ++ chosenIds} (or rejected), its loss positions the
 * completion. Arrays are owned by the record (not copied); equality is identity.
 *
 * @param source         the pair (location, margin, extras)
 * @param promptIds      the prompt's tokens (chat: rendered with the generation prompt)
 * @param chosenIds      the chosen completion's tokens
 * @param rejectedIds    the rejected completion's tokens
 * @param prefixMismatch true when the prompt's tokens were not a prefix of prompt + completion (TRL
 *                       warns and slices anyway; {@link ProblemKind#PROMPT_MISMATCH})
 */
public record DpoEncoding(PreferencePair source, long[] promptIds, long[] chosenIds, long[] rejectedIds,
    boolean prefixMismatch) {
  public DpoEncoding {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(chosenIds, "chosenIds");
    Objects.requireNonNull(rejectedIds, "rejectedIds");
  }

  /** Length of the longer full sequence (prompt + completion). */
  public int maxLength() {
    return promptIds.length + Math.max(chosenIds.length, rejectedIds.length);
  }
}
