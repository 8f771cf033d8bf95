package dev.align4j.peft.data.preference;

import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.DataProblem;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.Parsed;
import dev.align4j.peft.data.SourceRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads preference files (JSONL or one JSON array, as {@link JsonRecords} detects). Strict reads throw
 * {@link DataFormatException} ({@code file:line: field: what}) at the first bad record; {@link
 * #validate} lists every problem. All records of a file must be of one kind (text or conversational),
 * as TRL decides a dataset's kind by its first row.
 */
public final class PreferenceData {
  private PreferenceData() {
  }

  /**
   * Outcome of validating a pair file.
   *
   * @param records  JSON records read (good or bad)
   * @param pairs    the records that parsed
   * @param problems every structural problem, in file order
   */
  public record Validation(long records, List<PreferencePair> pairs, List<DataProblem> problems) {
    public Validation {
      pairs = List.copyOf(pairs);
      problems = List.copyOf(problems);
    }

    /** True when no problem was found. */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** Every pair of {@code file}; the first bad record throws {@link DataFormatException}. */
  public static List<PreferencePair> readPairs(Path file, PreferenceParser parser) throws IOException {
    Validation v = read(file, parser, true);
    return v.pairs();
  }

  /** Every pair of {@code file} with the format detected per record ({@link PreferenceParser#auto()}). */
  public static List<PreferencePair> readPairs(Path file) throws IOException {
    return readPairs(file, PreferenceParser.auto());
  }

  /** Reads {@code file} collecting every problem (JSON syntax, UTF-8, fields, mixed kinds). */
  public static Validation validate(Path file, PreferenceParser parser) throws IOException {
    return read(file, parser, false);
  }

  /**
   * KTO data: unpaired records ({@code prompt}, {@code completion}, {@code label}) as they are, or, when
   * the first record has {@code chosen} and {@code rejected}, pairs unpaired in TRL's order ({@link
   * Unpairing}). The first bad record throws {@link DataFormatException}.
   */
  public static List<UnpairedExample> readUnpaired(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    List<SourceRecord> records = JsonRecords.readAll(file);
    if (!records.isEmpty() && records.get(0).value().has("chosen") && records.get(0).value().has("rejected")) {
      return Unpairing.unpair(readPairs(file));
    }
    UnpairedParser parser = new UnpairedParser();
    List<UnpairedExample> out = new ArrayList<>(records.size());
    Boolean chat = null;
    for (SourceRecord r : records) {
      UnpairedExample e = parser.parse(r);
      if (chat == null) {
        chat = e.isChat();
      } else if (chat != e.isChat()) {
        throw new DataFormatException(mixed(r, chat));
      }
      out.add(e);
    }
    return out;
  }

  private static Validation read(Path file, PreferenceParser parser, boolean strict) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(parser, "parser");
    List<DataProblem> problems = new ArrayList<>();
    List<PreferencePair> pairs = new ArrayList<>();
    long n = 0;
    Boolean chat = null;
    try (JsonRecords records = strict ? JsonRecords.open(file) : JsonRecords.open(file, problems::add)) {
      while (records.hasNext()) {
        SourceRecord r = records.next();
        n++;
        Parsed<PreferencePair> p = parser.check(r);
        if (!p.ok()) {
          if (strict) {
            throw new DataFormatException(p.problems().get(0));
          }
          problems.addAll(p.problems());
          continue;
        }
        if (chat == null) {
          chat = p.value().isChat();
        } else if (chat != p.value().isChat()) {
          DataProblem m = mixed(r, chat);
          if (strict) {
            throw new DataFormatException(m);
          }
          problems.add(m);
          continue;
        }
        pairs.add(p.value());
      }
    }
    problems.sort((a, b) -> Long.compare(a.line(), b.line()));
    return new Validation(n, pairs, problems);
  }

  private static DataProblem mixed(SourceRecord r, boolean firstIsChat) {
    return new DataProblem(r.file(), r.line(), null, "record is " + (firstIsChat ? "text" : "conversational")
        + " but the file's first record is " + (firstIsChat ? "conversational" : "text")
        + " (one file holds one kind)");
  }
}
