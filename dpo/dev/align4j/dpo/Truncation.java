package dev.align4j.dpo;

/**
 * What TRL's {@code DataCollatorForPreference} keeps of a prompt+completion longer than {@code
 * max_length}.
 */
public enum Truncation {
  /** The first {@code max_length} tokens (TRL's default): the end of the completion is lost. */
  KEEP_START,
  /** The last {@code max_length} tokens (TRL's deprecated {@code keep_end}): the prompt's start is lost. */
  KEEP_END
}
