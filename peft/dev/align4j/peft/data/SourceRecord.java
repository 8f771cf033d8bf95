package dev.align4j.peft.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One JSON object read from a data file, with where it came from.
 *
 * @param file  the data file
 * @param line  1-based line on which the record starts
 * @param value the record
 */
public record SourceRecord(Path file, long line, ObjectNode value) {
  public SourceRecord {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(value, "value");
    if (line < 1) {
      throw new IllegalArgumentException("line must be >= 1: " + line);
    }
  }
}
