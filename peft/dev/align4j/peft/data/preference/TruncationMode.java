package dev.align4j.peft.data.preference;

import java.util.Locale;

/** How {@link OverlongPolicy#TRUNCATE} cuts a sequence to cutoff_len. */
public enum TruncationMode {
  /**
   * Keep the first cutoff_len tokens of prompt + completion, as TRL's {@code DataCollatorForPreference}
   * ({@code truncation_mode="keep_start"}) does: the end of the completion is lost. DPO/KTO rows whose
   * prompt alone fills cutoff_len are dropped ({@link ProblemKind#PROMPT_FILLS_CUTOFF}), as in TRL.
   */
  KEEP_START,
  /**
   * Cut the prompt first, from its start (the tokens nearest the completion stay), by as much as the
   * longer side needs, the same cut for chosen and rejected; only when the whole prompt is gone are the
   * completions cut at their end. Keeps the completions whole when possible, at the price of the start
   * of the prompt (system prompt, template header).
   */
  PROMPT_FIRST;

  /** Parses {@code keep_start} or {@code prompt_first}, case-insensitive. */
  public static TruncationMode parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown truncation mode '" + name + "', expected keep_start or prompt_first");
    }
  }
}
