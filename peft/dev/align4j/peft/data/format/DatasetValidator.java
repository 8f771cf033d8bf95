package dev.align4j.peft.data.format;

import dev.align4j.peft.data.DataProblem;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.Parsed;
import dev.align4j.peft.data.SourceRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Checks a whole data file: JSON syntax and UTF-8 per record, the schema of its format, blank fields
 * and over-long examples. Streams the file; problems go to a sink as they are found.
 */
public final class DatasetValidator {
  private final ColumnMapping mapping;   // null: autodetect from the first record
  private final int maxChars;

  /**
   * @param mapping  format and columns, or null to autodetect the format from the first record
   * @param maxChars longest allowed example in characters (all text fields together); 0 disables the check
   */
  public DatasetValidator(ColumnMapping mapping, int maxChars) {
    if (maxChars < 0) {
      throw new IllegalArgumentException("maxChars must be >= 0: " + maxChars);
    }
    this.mapping = mapping;
    this.maxChars = maxChars;
  }

  /**
   * Outcome of validating one file.
   *
   * @param format   the format used (null when it could not be determined)
   * @param records  records read (JSON objects, good or bad)
   * @param problems every problem, in file order
   */
  public record Report(DataFormat format, long records, List<DataProblem> problems) {
    public Report {
      problems = List.copyOf(problems);
    }

    /** True when no problem was found. */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** Validates {@code file}, collecting every problem. */
  public Report validate(Path file) throws IOException {
    List<DataProblem> all = new ArrayList<>();
    long[] n = new long[1];
    DataFormat f = validate(file, p -> all.add(p), n);
    all.sort((a, b) -> Long.compare(a.line(), b.line()));
    return new Report(f, n[0], all);
  }

  private DataFormat validate(Path file, Consumer<DataProblem> sink, long[] count) throws IOException {
    Objects.requireNonNull(file, "file");
    ExampleParser parser = mapping == null ? null : new ExampleParser(mapping);
    try (JsonRecords records = JsonRecords.open(file, sink)) {
      while (records.hasNext()) {
        SourceRecord r = records.next();
        count[0]++;
        if (parser == null) {
          Optional<DataFormat> f = DataFormat.autodetect(r.value());
          if (f.isEmpty()) {
            sink.accept(new DataProblem(file, r.line(), null,
                "cannot detect the format (no conversations, messages, instruction/output or text field)"));
            continue;
          }
          parser = ExampleParser.of(f.get());
        }
        Parsed<Example> p = parser.check(r);
        p.problems().forEach(sink);
        if (p.ok() && maxChars > 0 && p.value().charCount() > maxChars) {
          sink.accept(new DataProblem(file, r.line(), null,
              "example too long: " + p.value().charCount() + " characters > max " + maxChars));
        }
      }
    }
    return parser == null ? null : parser.mapping().format();
  }
}
