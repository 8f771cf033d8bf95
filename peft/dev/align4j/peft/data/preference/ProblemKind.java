package dev.align4j.peft.data.preference;

/** Content problems of preference data that are counted and reported (never dropped silently). */
public enum ProblemKind {
  /** chosen equals rejected (after prompt extraction): no preference signal; dropped. */
  IDENTICAL("chosen == rejected"),
  /** The prompt is blank: kept (reported) unless {@link PreferenceOptions#dropEmptyPrompt()}. */
  EMPTY_PROMPT("empty prompt"),
  /** chosen is blank; dropped. */
  EMPTY_CHOSEN("empty chosen"),
  /** rejected is blank; dropped. */
  EMPTY_REJECTED("empty rejected"),
  /** An unpaired example's completion is blank; dropped. */
  EMPTY_COMPLETION("empty completion"),
  /** A sequence is longer than cutoff_len after tokenisation: dropped or truncated by policy. */
  TOO_LONG("longer than cutoff_len"),
  /**
   * DPO/KTO with {@link TruncationMode#KEEP_START}: the prompt alone has cutoff_len tokens or more, so
   * no completion token would survive; dropped (TRL drops these rows too).
   */
  PROMPT_FILLS_CUTOFF("prompt alone fills cutoff_len"),
  /** The prompt's tokens are not a prefix of prompt + completion (TRL warns and slices anyway); kept. */
  PROMPT_MISMATCH("prompt tokens not a prefix of prompt+completion");

  private final String description;

  ProblemKind(String description) {
    this.description = description;
  }

  /** A few words for reports. */
  public String description() {
    return description;
  }
}
