package dev.align4j.peft.data.preference;

import java.util.Locale;

/** What happened to a record that has a {@link ProblemKind}. */
public enum Outcome {
  /** Removed from the prepared data. */
  DROPPED,
  /** Kept, cut to cutoff_len. */
  TRUNCATED,
  /** Kept as is (the problem is only reported). */
  KEPT;

  /** Lower-case name for reports. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
