package dev.align4j.peft.data.preference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.Parsed;
import dev.align4j.peft.data.RecordProblems;
import dev.align4j.peft.data.SourceRecord;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Parses KTO's unpaired records {@code {"prompt", "completion", "label": bool}}, text or
 * conversational (OpenAI message lists), into {@link UnpairedExample}s. The prompt is required (TRL
 * would try to extract it from chosen/rejected and fail); paired files are read with {@link
 * PreferenceParser} and unpaired with {@link Unpairing} instead ({@link PreferenceData#readUnpaired}
 * decides by the first record, as TRL does).
 */
public final class UnpairedParser {
  /** A parser for TRL's unpaired field names ({@code prompt}, {@code completion}, {@code label}). */
  public UnpairedParser() {
  }

  /** Parses a record, throwing {@link DataFormatException} for its first problem. */
  public UnpairedExample parse(SourceRecord record) {
    return check(record).orThrow();
  }

  /** Parses a record, collecting all problems. */
  public Parsed<UnpairedExample> check(SourceRecord record) {
    Objects.requireNonNull(record, "record");
    RecordProblems ctx = new RecordProblems(record);
    Segment prompt = PreferenceParser.segment(ctx, "prompt", true);
    Segment completion = PreferenceParser.segment(ctx, "completion", true);
    JsonNode label = record.value().get("label");
    if (label == null || label.isNull()) {
      ctx.fail("label", "missing field");
    } else if (!label.isBoolean()) {
      ctx.fail("label", "expected true or false but got " + RecordProblems.kind(label));
    }
    if (prompt != null && completion != null && prompt.isChat() != completion.isChat()) {
      ctx.fail("completion", "expected " + PreferenceParser.kindName(prompt) + " like prompt but got "
          + PreferenceParser.kindName(completion));
    }
    if (!ctx.problems().isEmpty()) {
      return Parsed.of(null, ctx);
    }
    return new Parsed<>(new UnpairedExample(record.file(), record.line(), prompt, completion, label.booleanValue(),
        PreferenceParser.extras(ctx, Set.of("prompt", "completion", "label"))), List.of());
  }
}
