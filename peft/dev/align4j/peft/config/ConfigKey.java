package dev.align4j.peft.config;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * One recipe key: its name (LLaMA-Factory's where it has one), type, default, validation and a
 * one-line description. The same description drives parsing, defaults, {@code resolved_config.json}
 * and the README's key table ({@link RecipeSchema}).
 *
 * @param name the key as written in YAML and in {@code key=value} overrides
 * @param type how the value is read and written
 * @param defaultValue the value when the key is absent; null for a required key
 * @param valid checks a value (after reading); always true when there is no rule
 * @param rule the check in words ("> 0"), empty when there is none
 * @param doc one line for the README
 */
public record ConfigKey<T>(String name, KeyType<T> type, T defaultValue, Predicate<T> valid, String rule, String doc) {
  /** Validates the description itself. */
  public ConfigKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(valid, "valid");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(doc, "doc");
    if (!name.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("config key '" + name + "' is not snake_case");
    }
    if (defaultValue != null && !valid.test(defaultValue)) {
      throw new IllegalArgumentException("config key " + name + ": default " + defaultValue + " breaks its rule " + rule);
    }
  }

  /** A key with a default and no further rule. */
  public static <T> ConfigKey<T> of(String name, KeyType<T> type, T defaultValue, String doc) {
    return new ConfigKey<>(name, type, Objects.requireNonNull(defaultValue, "default of " + name), x -> true, "", doc);
  }

  /** A key that every recipe must set. */
  public static <T> ConfigKey<T> required(String name, KeyType<T> type, String doc) {
    return new ConfigKey<>(name, type, null, x -> true, "", doc);
  }

  /** This key with a rule: values failing {@code valid} are errors saying "must be {@code rule}". */
  public ConfigKey<T> check(Predicate<T> check, String what) {
    return new ConfigKey<>(name, type, defaultValue, check, what, doc);
  }

  /** Whether the key must be set. */
  public boolean isRequired() {
    return defaultValue == null;
  }

  /** Keys > 0. */
  public static <N extends Number> Predicate<N> positive() {
    return n -> n.doubleValue() > 0;
  }

  /** Keys >= 0. */
  public static <N extends Number> Predicate<N> nonNegative() {
    return n -> n.doubleValue() >= 0;
  }
}
