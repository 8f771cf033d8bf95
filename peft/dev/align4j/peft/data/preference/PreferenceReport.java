package dev.align4j.peft.data.preference;

import dev.align4j.peft.data.DataProblem;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What preparing preference data did: records read and kept, and per problem and outcome how many
 * records and a few example locations. {@link #lines()} is what the CLI stages print.
 *
 * @param read     records (pairs or unpaired examples) given
 * @param kept     records in the prepared data
 * @param problems counts per (kind, outcome), in {@link ProblemKind} then {@link Outcome} order
 */
public record PreferenceReport(long read, long kept, List<ProblemCount> problems) {
  /** How many examples each count keeps. */
  public static final int EXAMPLES_KEPT = 5;

  public PreferenceReport {
    problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
    if (read < 0 || kept < 0 || kept > read) {
      throw new IllegalArgumentException("need 0 <= kept <= read: read " + read + ", kept " + kept);
    }
  }

  /**
   * One problem's count.
   *
   * @param kind     the problem
   * @param outcome  what happened to the records
   * @param count    how many records
   * @param examples up to {@link #EXAMPLES_KEPT} of them, as {@code file:line: field: what}
   */
  public record ProblemCount(ProblemKind kind, Outcome outcome, long count, List<DataProblem> examples) {
    public ProblemCount {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(outcome, "outcome");
      examples = List.copyOf(examples);
    }
  }

  /** Records with {@code kind} and {@code outcome} (0 when none). */
  public long count(ProblemKind kind, Outcome outcome) {
    return problems.stream().filter(p -> p.kind == kind && p.outcome == outcome).mapToLong(ProblemCount::count).sum();
  }

  /** Records dropped, all reasons together. */
  public long dropped() {
    return read - kept;
  }

  /** Records kept but truncated. */
  public long truncated() {
    return problems.stream().filter(p -> p.outcome == Outcome.TRUNCATED).mapToLong(ProblemCount::count).sum();
  }

  /** The summary line, then one line per problem with its first example location. */
  public List<String> lines() {
    List<String> out = new ArrayList<>();
    out.add(String.format("preference data: %d read, %d kept, %d dropped, %d truncated", read, kept, dropped(),
        truncated()));
    for (ProblemCount p : problems) {
      String first = p.examples.isEmpty() ? "" : " (first: " + p.examples.get(0) + ")";
      out.add(String.format("  %s: %d %s%s", p.kind.description(), p.count, p.outcome.label(), first));
    }
    return out;
  }

  /** Accumulates counts; not thread-safe. */
  static final class Builder {
    private final Map<ProblemKind, Map<Outcome, long[]>> counts = new EnumMap<>(ProblemKind.class);
    private final Map<ProblemKind, Map<Outcome, List<DataProblem>>> examples = new EnumMap<>(ProblemKind.class);

    void add(ProblemKind kind, Outcome outcome, DataProblem where) {
      counts.computeIfAbsent(kind, k -> new EnumMap<>(Outcome.class)).computeIfAbsent(outcome, o -> new long[1])[0]++;
      List<DataProblem> ex = examples.computeIfAbsent(kind, k -> new EnumMap<>(Outcome.class))
          .computeIfAbsent(outcome, o -> new ArrayList<>());
      if (ex.size() < EXAMPLES_KEPT) {
        ex.add(where);
      }
    }

    PreferenceReport build(long read, long kept) {
      List<ProblemCount> list = new ArrayList<>();
      for (ProblemKind k : ProblemKind.values()) {
        Map<Outcome, long[]> byOutcome = counts.get(k);
        if (byOutcome == null) {
          continue;
        }
        for (Outcome o : Outcome.values()) {
          long[] n = byOutcome.get(o);
          if (n != null) {
            list.add(new ProblemCount(k, o, n[0], examples.get(k).get(o)));
          }
        }
      }
      return new PreferenceReport(read, kept, list);
    }
  }
}
