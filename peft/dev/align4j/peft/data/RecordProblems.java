package dev.align4j.peft.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The problems found while parsing one {@link SourceRecord}: each names the record's file and line
 * and the field at fault, so a parser reports every problem of a record instead of the first.
 */
public final class RecordProblems {
  private final SourceRecord record;
  private final List<DataProblem> problems = new ArrayList<>();

  /** An empty list of problems for {@code record}. */
  public RecordProblems(SourceRecord record) {
    this.record = record;
  }

  /** The record being parsed. */
  public SourceRecord record() {
    return record;
  }

  /** Its JSON object. */
  public ObjectNode value() {
    return record.value();
  }

  /** Records a problem with {@code field} (a dotted path, or null for the whole record). */
  public void fail(String field, String what) {
    problems.add(new DataProblem(record.file(), record.line(), field, what));
  }

  /** The problems so far (live). */
  public List<DataProblem> problems() {
    return problems;
  }

  /** {@code n}'s text; null, with no problem, when it is absent or null; a problem when it is not a string. */
  public String optionalText(JsonNode n, String field) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      fail(field, "expected a string but got " + kind(n));
      return null;
    }
    return n.textValue();
  }

  /** {@code n}'s text (blank allowed); null and a problem when it is absent, null or not a string. */
  public String requiredString(JsonNode n, String field) {
    if (n == null || n.isNull()) {
      fail(field, "missing field");
      return null;
    }
    return optionalText(n, field);
  }

  /** What a JSON value is, for messages such as "expected a string but got an array". */
  public static String kind(JsonNode n) {
    return switch (n.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
      default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }
}
