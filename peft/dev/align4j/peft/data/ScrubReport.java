package dev.align4j.peft.data;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link PiiScrubber} replaced.
 *
 * @param counts   matches replaced per type (every type present, zero when none)
 * @param examples a few masked examples per type (e.g. {@code 1101**********1234}), never the raw value
 */
public record ScrubReport(Map<PiiType, Long> counts, Map<PiiType, List<String>> examples) {
  public ScrubReport {
    EnumMap<PiiType, Long> c = new EnumMap<>(PiiType.class);
    EnumMap<PiiType, List<String>> e = new EnumMap<>(PiiType.class);
    for (PiiType t : PiiType.values()) {
      c.put(t, counts.getOrDefault(t, 0L));
      e.put(t, List.copyOf(examples.getOrDefault(t, List.of())));
    }
    counts = java.util.Collections.unmodifiableMap(c);
    examples = java.util.Collections.unmodifiableMap(e);
  }

  /** Total replacements over all types. */
  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** One line per type with a non-zero count, e.g. {@code PHONE 3 [138****8000, ...]}. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    for (PiiType t : PiiType.values()) {
      if (counts.get(t) > 0) {
        sb.append(t).append(' ').append(counts.get(t)).append(' ').append(examples.get(t)).append('\n');
      }
    }
    return sb.length() == 0 ? "no personal information found\n" : sb.toString();
  }
}
