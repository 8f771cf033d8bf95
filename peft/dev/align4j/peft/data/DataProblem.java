package dev.align4j.peft.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One problem found in a data file, located by file, 1-based line and (optionally) field.
 *
 * @param file    the data file
 * @param line    1-based line where the record (or the error) starts; 0 when unknown
 * @param field   dotted/indexed field path such as {@code conversations[2].value}; null for record-level problems
 * @param message what is wrong, in a few words
 */
public record DataProblem(Path file, long line, String field, String message) {
  public DataProblem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
    if (line < 0) {
      throw new IllegalArgumentException("line must be >= 0: " + line);
    }
  }

  /** Renders as {@code file:line: field: what} (the field part omitted when null). */
  @Override
  public String toString() {
    return file + ":" + line + ": " + (field == null ? "" : field + ": ") + message;
  }
}
