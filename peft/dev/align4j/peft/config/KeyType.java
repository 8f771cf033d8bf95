package dev.align4j.peft.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The type of a recipe value: how it is read from YAML/JSON (and {@code key=value} overrides), how it
 * is written back to {@code resolved_config.json}, and how the README names it.
 *
 * @param javaType the record component type the value binds to (primitives as their wrapper, {@code
 *     Optional} raw)
 * @param describe the type in words for docs and errors ("integer", "`lora` \| `ia3`")
 * @param reader parses a JSON value; throws {@link IllegalArgumentException} with "must be ..." text
 * @param writer the JSON value written back; reading it again gives the same value
 */
public record KeyType<T>(Class<?> javaType, String describe, Function<JsonNode, T> reader, Function<T, JsonNode> writer) {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Reads a value; the message of a failure says what was expected and what was found. */
  public T read(JsonNode v) {
    return reader.apply(v);
  }

  /** Writes a value as JSON. */
  public JsonNode write(T v) {
    return writer.apply(v);
  }

  /** A 32-bit integer. */
  public static final KeyType<Integer> INT = new KeyType<>(Integer.class, "integer", v -> {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("must be an integer, got " + v);
    }
    return v.asInt();
  }, F::numberNode);

  /** A 64-bit integer. */
  public static final KeyType<Long> LONG = new KeyType<>(Long.class, "integer", v -> {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new IllegalArgumentException("must be an integer, got " + v);
    }
    return v.asLong();
  }, F::numberNode);

  /** A number; also a string holding one (YAML 1.1 reads {@code 2e-4} as a string). */
  public static final KeyType<Double> DOUBLE = new KeyType<>(Double.class, "number", v -> {
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      try {
        return Double.parseDouble(v.asText());
      } catch (NumberFormatException e) {
        // fall through to the error
      }
    }
    throw new IllegalArgumentException("must be a number, got " + v);
  }, F::numberNode);

  /** true or false. */
  public static final KeyType<Boolean> BOOL = new KeyType<>(Boolean.class, "true \\| false", v -> {
    if (!v.isBoolean()) {
      throw new IllegalArgumentException("must be true or false, got " + v);
    }
    return v.asBoolean();
  }, F::booleanNode);

  /** A string (a scalar of any kind is taken as its text, as YAML users expect). */
  public static final KeyType<String> STRING = new KeyType<>(String.class, "string", v -> {
    if (!v.isValueNode()) {
      throw new IllegalArgumentException("must be a string, got " + v);
    }
    return v.asText();
  }, F::textNode);

  /** A mapping, kept as a JSON tree. */
  public static final KeyType<ObjectNode> MAPPING = new KeyType<>(ObjectNode.class, "mapping", v -> {
    if (!v.isObject()) {
      throw new IllegalArgumentException("must be a mapping, got " + v);
    }
    return ((ObjectNode) v).deepCopy();
  }, o -> o.deepCopy());

  /**
   * One constant of an enum, named by its lower-case name (case-insensitive on input), or by an
   * alias; an unknown name is an error listing the valid ones.
   */
  public static <E extends Enum<E>> KeyType<E> choice(Class<E> type, Map<String, E> aliases) {
    Map<String, E> byName = names(type);
    String valid = String.join(", ", byName.keySet());
    return new KeyType<>(type, describeChoices(byName.keySet()), v -> {
      if (!v.isValueNode()) {
        throw new IllegalArgumentException("must be one of " + valid + ", got " + v);
      }
      String s = v.asText().trim().toLowerCase(Locale.ROOT);
      E e = byName.getOrDefault(s, aliases.get(s));
      if (e == null) {
        throw new IllegalArgumentException("must be one of " + valid + ", got '" + v.asText() + "'");
      }
      return e;
    }, e -> F.textNode(nameOf(e)));
  }

  /** {@link #choice(Class, Map)} without aliases. */
  public static <E extends Enum<E>> KeyType<E> choice(Class<E> type) {
    return choice(type, Map.of());
  }

  /** A choice that may be left empty ({@code ""}, the default when nothing is named). */
  public static <E extends Enum<E>> KeyType<Optional<E>> optionalChoice(Class<E> type, String emptyMeans) {
    KeyType<E> one = choice(type);
    Map<String, E> byName = names(type);
    List<String> shown = new ArrayList<>(List.of("\"\""));
    shown.addAll(byName.keySet());
    return new KeyType<>(Optional.class, describeChoices(shown) + " (\"\": " + emptyMeans + ")", v -> {
      if (v.isNull() || (v.isTextual() && v.asText().isBlank())) {
        return Optional.empty();
      }
      try {
        return Optional.of(one.read(v));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage().replace("must be one of ",
            "must be empty (" + emptyMeans + ") or one of "), e);
      }
    }, o -> F.textNode(o.map(KeyType::nameOf).orElse("")));
  }

  /** The name an enum constant has in a recipe. */
  public static String nameOf(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private static <E extends Enum<E>> Map<String, E> names(Class<E> type) {
    Map<String, E> m = new LinkedHashMap<>();
    Arrays.stream(type.getEnumConstants()).forEach(e -> m.put(nameOf(e), e));
    return m;
  }

  private static String describeChoices(Iterable<String> names) {
    List<String> out = new ArrayList<>();
    names.forEach(n -> out.add("`" + n + "`"));
    return String.join(" \\| ", out);
  }
}
