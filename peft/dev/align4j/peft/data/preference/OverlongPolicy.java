package dev.align4j.peft.data.preference;

import java.util.Locale;

/** What to do with a pair or example longer than cutoff_len after tokenisation. */
public enum OverlongPolicy {
  /** Drop it (TRL's RewardTrainer filters such pairs; align4j counts them). */
  DROP,
  /** Cut it to cutoff_len as {@link TruncationMode} says (TRL's DPO/KTO collators keep the start). */
  TRUNCATE;

  /** Parses {@code drop} or {@code truncate}, case-insensitive. */
  public static OverlongPolicy parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown over-long policy '" + name + "', expected drop or truncate");
    }
  }
}
