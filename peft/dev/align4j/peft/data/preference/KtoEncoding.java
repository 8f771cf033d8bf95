package dev.align4j.peft.data.preference;

import java.util.Objects;

/**
 * An unpaired example tokenised for KTO as TRL's KTOTrainer does: the prompt and the completion as the
 * tokens of prompt + completion after the prompt's length. Arrays are owned by the record.
 *
 * @param source         the example (location, label, extras)
 * @param promptIds      the prompt's tokens (chat: rendered with the generation prompt)
 * @param completionIds  the completion's tokens
 * @param prefixMismatch true when the prompt's tokens were not a prefix of prompt + completion
 */
public record KtoEncoding(UnpairedExample source, long[] promptIds, long[] completionIds, boolean prefixMismatch) {
  public KtoEncoding {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(completionIds, "completionIds");
  }

  /** Whether the completion is desirable. */
  public boolean label() {
    return source.label();
  }

  /** Length of the full sequence (prompt + completion). */
  public int length() {
    return promptIds.length + completionIds.length;
  }
}
