package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * PEFT's {@code rank_pattern} / {@code alpha_pattern}: a map from a key to a value that overrides
 * {@code r} or {@code lora_alpha} for the modules it names. As {@code peft.utils.other.get_pattern_key},
 * a key applies to a module path that matches {@code (.*\.)?(key)$} in full (the key is a regex, so
 * {@code q_proj} names every q_proj and {@code model.layers.0.self_attn.q_proj} one of them); the first
 * matching key in the file's order wins.
 */
public final class PatternKeys {
  private final String field;
  private final LinkedHashMap<String, Double> values = new LinkedHashMap<>();
  private final LinkedHashMap<String, Pattern> patterns = new LinkedHashMap<>();

  /** An empty pattern map. */
  public static PatternKeys none(String field) {
    return new PatternKeys(field, Map.of());
  }

  /** Patterns in priority order. */
  public PatternKeys(String field, Map<String, Double> values) {
    this.field = field;
    for (Map.Entry<String, Double> e : values.entrySet()) {
      this.values.put(e.getKey(), e.getValue());
      patterns.put(e.getKey(), TargetMatcher.regex("(.*\\.)?(" + e.getKey() + ")", field));
    }
  }

  /** Reads {@code field} of a config: a JSON object of numbers (null or absent: empty). */
  public static PatternKeys read(JsonNode config, String field) {
    JsonNode n = config.get(field);
    LinkedHashMap<String, Double> m = new LinkedHashMap<>();
    if (n != null && !n.isNull()) {
      if (!n.isObject()) {
        throw new IllegalArgumentException(field + ": must be an object of module pattern to number, got " + n);
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNumber()) {
          throw new IllegalArgumentException(field + ": value of '" + e.getKey() + "' must be a number, got " + e.getValue());
        }
        m.put(e.getKey(), e.getValue().asDouble());
      }
    }
    return new PatternKeys(field, m);
  }

  /** The value for module {@code path}, or {@code fallback} when no key matches. */
  public double valueFor(String path, double fallback) {
    for (Map.Entry<String, Pattern> e : patterns.entrySet()) {
      if (e.getValue().matcher(path).matches()) {
        return values.get(e.getKey());
      }
    }
    return fallback;
  }

  /** Whether there is no key. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  @Override
  public String toString() {
    return field + values;
  }
}
