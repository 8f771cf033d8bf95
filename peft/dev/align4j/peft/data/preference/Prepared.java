package dev.align4j.peft.data.preference;

import java.util.List;
import java.util.Objects;

/**
 * Prepared (checked, tokenised, length-limited) preference data and its report.
 *
 * @param examples the encodings kept, in input order
 * @param report   what was dropped, truncated or only noted
 * @param <T>      {@link RewardEncoding}, {@link DpoEncoding} or {@link KtoEncoding}
 */
public record Prepared<T>(List<T> examples, PreferenceReport report) {
  public Prepared {
    examples = List.copyOf(Objects.requireNonNull(examples, "examples"));
    Objects.requireNonNull(report, "report");
  }
}
