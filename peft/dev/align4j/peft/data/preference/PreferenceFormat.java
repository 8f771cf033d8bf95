package dev.align4j.peft.data.preference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Optional;

/** Layouts of preference records understood by {@link PreferenceParser}. */
public enum PreferenceFormat {
  /**
   * TRL's: {@code chosen}, {@code rejected}, optional {@code prompt} and {@code margin}; text (strings)
   * or conversational (OpenAI message lists). Without a prompt, or with a prompt of the other kind
   * (TRL's {@code maybe_extract_prompt}), the prompt is the common prefix of chosen and rejected.
   */
  TRL,
  /**
   * LLaMA-Factory's alpaca ranking: {@code instruction}, optional {@code input}, {@code system},
   * {@code history} [[q, a], ...], and {@code chosen}/{@code rejected} strings (assistant replies).
   */
  ALPACA_RANKING,
  /**
   * LLaMA-Factory's sharegpt ranking: {@code conversations} ending with a user (or observation) turn,
   * and {@code chosen}/{@code rejected} message objects ({@code {"from": "gpt", "value": ...}}).
   */
  SHAREGPT_RANKING;

  /**
   * Guesses the layout from one record: a {@code conversations} or {@code messages} array with object
   * {@code chosen} is sharegpt ranking, an {@code instruction} field is alpaca ranking, anything else
   * with {@code chosen} and {@code rejected} is TRL's.
   */
  public static Optional<PreferenceFormat> autodetect(ObjectNode record) {
    JsonNode chosen = record.get("chosen");
    if (chosen == null || !record.has("rejected")) {
      return Optional.empty();
    }
    boolean messages = record.path("conversations").isArray() || record.path("messages").isArray();
    if (messages && chosen.isObject()) {
      return Optional.of(SHAREGPT_RANKING);
    }
    if (record.has("instruction")) {
      return Optional.of(ALPACA_RANKING);
    }
    return Optional.of(TRL);
  }

  /** Parses a name, case-insensitive: {@code trl}, {@code alpaca_ranking}, {@code sharegpt_ranking}. */
  public static PreferenceFormat parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown preference format '" + name
          + "', expected trl, alpaca_ranking or sharegpt_ranking");
    }
  }
}
