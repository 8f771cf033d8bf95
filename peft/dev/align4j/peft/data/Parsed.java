package dev.align4j.peft.data;

import java.util.List;

/**
 * One record's parse, as every parser of {@code peft.data} returns it: the value when the record
 * parsed without problems, and every problem found (each naming the file, line and field).
 *
 * @param value    the parsed value, or null when there are problems
 * @param problems every problem found (empty when the record is good)
 * @param <T>      what a record parses to (an SFT example, a preference pair, an unpaired example)
 */
public record Parsed<T>(T value, List<DataProblem> problems) {
  /** Copies the problems. */
  public Parsed {
    problems = List.copyOf(problems);
  }

  /** {@code value} when {@code ctx} holds no problem, else null; with {@code ctx}'s problems. */
  public static <T> Parsed<T> of(T value, RecordProblems ctx) {
    return new Parsed<>(ctx.problems().isEmpty() ? value : null, ctx.problems());
  }

  /** True when the record parsed without problems. */
  public boolean ok() {
    return problems.isEmpty();
  }

  /** The value; a {@link DataFormatException} for the first problem when there is one. */
  public T orThrow() {
    if (!ok()) {
      throw new DataFormatException(problems.get(0));
    }
    return value;
  }
}
