package dev.align4j.peft.data.preference;

import java.util.Objects;

/**
 * How {@link PreferencePreparer} treats problem records.
 *
 * @param cutoffLen       longest sequence (prompt + completion) in tokens; at least 1
 * @param overlong        drop or truncate longer sequences
 * @param truncation      how to truncate ({@link OverlongPolicy#TRUNCATE} only)
 * @param dropEmptyPrompt drop records with a blank prompt (they are always reported)
 */
public record PreferenceOptions(int cutoffLen, OverlongPolicy overlong, TruncationMode truncation,
    boolean dropEmptyPrompt) {
  public PreferenceOptions {
    if (cutoffLen < 1) {
      throw new IllegalArgumentException("cutoff_len must be >= 1: " + cutoffLen);
    }
    Objects.requireNonNull(overlong, "overlong");
    Objects.requireNonNull(truncation, "truncation");
  }

  /** Over-long pairs dropped (TRL's RewardTrainer filter, but counted), empty prompts kept. */
  public static PreferenceOptions drop(int cutoffLen) {
    return new PreferenceOptions(cutoffLen, OverlongPolicy.DROP, TruncationMode.KEEP_START, false);
  }

  /** Over-long sequences cut keeping the start (TRL's DPO/KTO collators), empty prompts kept. */
  public static PreferenceOptions truncateKeepStart(int cutoffLen) {
    return new PreferenceOptions(cutoffLen, OverlongPolicy.TRUNCATE, TruncationMode.KEEP_START, false);
  }
}
