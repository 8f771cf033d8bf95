package dev.align4j.peft.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Optional;

/** Instruction data layouts understood by {@link ExampleParser}. */
public enum DataFormat {
  /** {@code instruction}, {@code input}, {@code output}, optional {@code system}, {@code history} [[q, a], ...]. */
  ALPACA,
  /** {@code conversations}: [{from, value}], roles human/gpt/system/observation/function_call. */
  SHAREGPT,
  /** {@code messages}: [{role, content}], roles user/assistant/system/tool. */
  OPENAI,
  /** {@code text}: raw text. */
  TEXT;

  /**
   * Guesses the format from one record's keys: {@code conversations} array, then {@code messages} array,
   * then {@code instruction}/{@code output}, then {@code text}.
   */
  public static Optional<DataFormat> autodetect(ObjectNode record) {
    if (isArray(record.get("conversations"))) {
      return Optional.of(SHAREGPT);
    }
    if (isArray(record.get("messages"))) {
      return Optional.of(OPENAI);
    }
    if (record.has("instruction") || record.has("output")) {
      return Optional.of(ALPACA);
    }
    if (record.has("text")) {
      return Optional.of(TEXT);
    }
    return Optional.empty();
  }

  /** Parses a CLI/config name, case-insensitive ({@code alpaca}, {@code sharegpt}, {@code openai}, {@code text}). */
  public static DataFormat parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown data format '" + name + "', expected alpaca, sharegpt, openai or text");
    }
  }

  private static boolean isArray(JsonNode n) {
    return n != null && n.isArray();
  }
}
