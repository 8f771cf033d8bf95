package dev.align4j.peft.data.preference;

import java.util.ArrayList;
import java.util.List;

/**
 * The content checks of preference data before tokenisation: blank sides and identical completions.
 * TRL lets these through (an identical pair has a constant DPO loss and no reward-model signal);
 * align4j reports them.
 */
public final class PreferenceChecks {
  private PreferenceChecks() {
  }

  /**
   * The problems of a pair, the dropping ones first in the order {@link ProblemKind#EMPTY_CHOSEN},
   * {@link ProblemKind#EMPTY_REJECTED}, {@link ProblemKind#IDENTICAL}, then {@link
   * ProblemKind#EMPTY_PROMPT}.
   */
  public static List<ProblemKind> check(PreferencePair p) {
    List<ProblemKind> out = new ArrayList<>(2);
    if (p.chosen().isBlank()) {
      out.add(ProblemKind.EMPTY_CHOSEN);
    }
    if (p.rejected().isBlank()) {
      out.add(ProblemKind.EMPTY_REJECTED);
    }
    if (p.chosen().equals(p.rejected())) {
      out.add(ProblemKind.IDENTICAL);
    }
    if (p.prompt().isBlank()) {
      out.add(ProblemKind.EMPTY_PROMPT);
    }
    return out;
  }

  /** The problems of an unpaired example: {@link ProblemKind#EMPTY_COMPLETION}, then {@link ProblemKind#EMPTY_PROMPT}. */
  public static List<ProblemKind> check(UnpairedExample e) {
    List<ProblemKind> out = new ArrayList<>(2);
    if (e.completion().isBlank()) {
      out.add(ProblemKind.EMPTY_COMPLETION);
    }
    if (e.prompt().isBlank()) {
      out.add(ProblemKind.EMPTY_PROMPT);
    }
    return out;
  }
}
