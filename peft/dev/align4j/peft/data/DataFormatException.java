package dev.align4j.peft.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Bad input data: malformed JSON, invalid UTF-8, or a record that does not fit its format.
 * The message is always {@code file:line: field: what} so users can jump to the spot.
 */
public class DataFormatException extends RuntimeException {
  private final transient DataProblem problem;

  public DataFormatException(DataProblem problem) {
    this(problem, null);
  }

  public DataFormatException(DataProblem problem, Throwable cause) {
    super(Objects.requireNonNull(problem, "problem").toString(), cause);
    this.problem = problem;
  }

  public DataFormatException(Path file, long line, String field, String message) {
    this(new DataProblem(file, line, field, message));
  }

  /** The located problem this exception reports. */
  public DataProblem problem() {
    return problem;
  }
}
