package dev.align4j.recipes.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A mapping of the search spec with its file and key prefix ({@code S.yaml: strategy.kind}) for errors: typed getters
 * that name the key, and {@link #allowOnly} that refuses unknown keys listing the valid ones.
 */
record SpecNode(ObjectNode node, String source, String prefix) {
  /** The top-level mapping of file {@code source}. */
  SpecNode(ObjectNode node, String source) {
    this(node, source, "");
  }

  /** The child mapping {@code key}, or an empty one when absent. */
  SpecNode child(String key) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return new SpecNode(node.objectNode(), source, prefix + key + ".");
    }
    if (!v.isObject()) {
      throw error(key, "must be a mapping, got " + v.getNodeType().toString().toLowerCase(Locale.ROOT));
    }
    return new SpecNode((ObjectNode) v, source, prefix + key + ".");
  }

  /** Refuses any key outside {@code valid}. */
  void allowOnly(Set<String> valid) {
    for (var it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!valid.contains(k)) {
        throw new IllegalArgumentException(source + ": unknown key '" + prefix + k + "' (valid: " + String.join(", ", new TreeSet<>(valid)) + ")");
      }
    }
  }

  boolean has(String key) {
    return node.hasNonNull(key);
  }

  String string(String key, String def) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      if (def == null) {
        throw error(key, "is required");
      }
      return def;
    }
    if (!v.isValueNode() || v.isBinary()) {
      throw error(key, "must be a value, got " + v.getNodeType().toString().toLowerCase(Locale.ROOT));
    }
    return v.asText();
  }

  double number(String key, Double def) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      if (def == null) {
        throw error(key, "is required");
      }
      return def;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    try {
      return Double.parseDouble(v.asText().trim());   // YAML 1.1 reads 1e-4 (no dot) as a string
    } catch (NumberFormatException e) {
      throw error(key, "must be a number, got '" + v.asText() + "'");
    }
  }

  long integer(String key, Long def) {
    double d = number(key, def == null ? null : def.doubleValue());
    if (d != Math.rint(d) || Math.abs(d) > 1L << 53) {
      throw error(key, "must be an integer, got " + d);
    }
    return (long) d;
  }

  boolean bool(String key, boolean def) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isBoolean()) {
      throw error(key, "must be true or false, got '" + v.asText() + "'");
    }
    return v.asBoolean();
  }

  /** An enum value by its lower-case name, errors listing the valid ones. */
  <E extends Enum<E>> E choice(String key, Class<E> type, E def) {
    String s = string(key, def == null ? null : def.name().toLowerCase(Locale.ROOT));
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      String n = e.name().toLowerCase(Locale.ROOT);
      names.add(n);
      if (n.equals(s.toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw error(key, "must be one of " + String.join(" | ", names) + ", got '" + s + "'");
  }

  IllegalArgumentException error(String key, String what) {
    return new IllegalArgumentException(source + ": " + prefix + key + " " + what);
  }
}
