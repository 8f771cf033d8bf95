package dev.align4j.peft.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A recipe format: an ordered list of {@link ConfigKey}s bound to a record whose components are the
 * keys in camelCase ({@code per_device_train_batch_size} is {@code perDeviceTrainBatchSize}). From
 * that one description it reads YAML with {@code key=value} overrides (unknown keys, bad types and
 * unknown enum values are errors naming the source and listing what is valid, before anything else
 * happens), writes the resolved values back, compares two resolved configs and prints the README's
 * key table. Stage recipes (SFT, reward modelling, DPO, PPO) each declare one.
 */
public final class RecipeSchema<R extends Record> {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Class<R> type;
  private final List<ConfigKey<?>> keys;
  private final Map<String, ConfigKey<?>> byName = new LinkedHashMap<>();
  private final ConfigKey<?>[] byComponent;
  private final RecordComponent[] components;
  private final Constructor<R> constructor;
  private final List<DefaultWhen> defaultsWhen;

  /**
   * A default that another key's value selects: {@code key} defaults to {@code value} when {@code when}
   * resolves to {@code whenValue} (as the recipe writes it), and to its own default otherwise; a value the
   * recipe gives always wins.
   */
  public record DefaultWhen(String key, Object value, String when, Object whenValue) {}

  /** Binds {@code keys} to the components of {@code type}; a key without a component (or the reverse) is an error. */
  public RecipeSchema(Class<R> type, List<ConfigKey<?>> keys) {
    this(type, keys, List.of());
  }

  private RecipeSchema(Class<R> type, List<ConfigKey<?>> keys, List<DefaultWhen> defaultsWhen) {
    this.type = type;
    this.defaultsWhen = List.copyOf(defaultsWhen);
    this.keys = List.copyOf(keys);
    for (ConfigKey<?> k : keys) {
      if (byName.put(k.name(), k) != null) {
        throw new IllegalArgumentException(type.getSimpleName() + ": key " + k.name() + " declared twice");
      }
    }
    components = type.getRecordComponents();
    byComponent = new ConfigKey<?>[components.length];
    Map<String, ConfigKey<?>> byField = new HashMap<>();
    keys.forEach(k -> byField.put(camel(k.name()), k));
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      ConfigKey<?> k = byField.remove(components[i].getName());
      if (k == null) {
        throw new IllegalArgumentException(type.getSimpleName() + "." + components[i].getName() + " has no config key");
      }
      if (!boxed(components[i].getType()).equals(k.type().javaType())) {
        throw new IllegalArgumentException(type.getSimpleName() + "." + components[i].getName() + " is a "
            + components[i].getType().getSimpleName() + ", key " + k.name() + " reads a " + k.type().javaType().getSimpleName());
      }
      byComponent[i] = k;
      types[i] = components[i].getType();
    }
    if (!byField.isEmpty()) {
      throw new IllegalArgumentException(type.getSimpleName() + " has no component for keys " + byField.keySet());
    }
    try {
      constructor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * This schema with {@code key} defaulting to {@code value} when {@code when} is {@code whenValue} (e.g.
   * {@code gradient_checkpointing} true under {@code quantization_bit} 4, as PEFT's
   * {@code prepare_model_for_kbit_training} and TRL do); the key table shows it beside the default.
   */
  public <T> RecipeSchema<R> withDefaultWhen(ConfigKey<T> key, T value, ConfigKey<?> when, Object whenValue) {
    key(key.name());
    key(when.name());
    if (!key.valid().test(value)) {
      throw new IllegalArgumentException("config key " + key.name() + ": default " + value + " breaks its rule " + key.rule());
    }
    List<DefaultWhen> all = new ArrayList<>(defaultsWhen);
    all.add(new DefaultWhen(key.name(), value, when.name(), whenValue));
    return new RecipeSchema<>(type, keys, all);
  }

  /** The keys in documentation order. */
  public List<ConfigKey<?>> keys() {
    return keys;
  }

  /** The key called {@code name}, or an error listing the known ones. */
  public ConfigKey<?> key(String name) {
    ConfigKey<?> k = byName.get(name);
    if (k == null) {
      throw new IllegalArgumentException(unknownKey(name));
    }
    return k;
  }

  /** Reads a YAML recipe (or nothing, when {@code yaml} is null) and applies {@code key=value} overrides. */
  public R load(Path yaml, List<String> overrides) throws IOException {
    ObjectNode o = readYaml(yaml);
    for (String ov : overrides) {
      int eq = ov.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("override '" + ov + "' is not key=value");
      }
      String k = ov.substring(0, eq).trim();
      if (!byName.containsKey(k)) {
        throw new IllegalArgumentException("override '" + ov + "': " + unknownKey(k));
      }
      String text = ov.substring(eq + 1);
      JsonNode v = text.isBlank() ? JSON.getNodeFactory().textNode("") : YAML.readTree(text);
      o.set(k, v == null || v.isMissingNode() ? JSON.getNodeFactory().textNode(text) : v);
    }
    return parse(o, yaml == null ? "recipe" : yaml.toString());
  }

  /** The keys a YAML file sets (empty for none). */
  public static Set<String> keysIn(Path yaml) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    readYaml(yaml).fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static ObjectNode readYaml(Path yaml) throws IOException {
    if (yaml == null) {
      return JSON.createObjectNode();
    }
    JsonNode root;
    try {
      root = YAML.readTree(yaml.toFile());
    } catch (IOException e) {
      throw new IOException(yaml + ": not valid YAML: " + e.getMessage(), e);
    }
    if (root != null && !root.isMissingNode() && !root.isNull() && !root.isObject()) {
      throw new IllegalArgumentException(yaml + ": a recipe is a mapping of key: value, got " + root.getNodeType());
    }
    return root == null || !root.isObject() ? JSON.createObjectNode() : (ObjectNode) root;
  }

  /** Builds the record from a tree; every error names {@code source} and the key. */
  public R parse(ObjectNode o, String source) {
    for (var it = o.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!byName.containsKey(k)) {
        throw new IllegalArgumentException(source + ": " + unknownKey(k));
      }
    }
    for (ConfigKey<?> k : keys) {
      if (k.isRequired() && (!o.hasNonNull(k.name()) || o.get(k.name()).asText().isBlank())) {
        throw new IllegalArgumentException(source + ": missing required key '" + k.name() + "' (" + k.doc() + ")");
      }
    }
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      args[i] = value(byComponent[i], o.get(byComponent[i].name()), source);
    }
    for (DefaultWhen d : defaultsWhen) {
      JsonNode given = o.get(d.key());
      if (given == null || given.isNull()) {
        Object when = value(byName.get(d.when()), o.get(d.when()), source);
        if (d.whenValue().equals(when)) {
          for (int i = 0; i < components.length; i++) {
            if (byComponent[i].name().equals(d.key())) {
              args[i] = d.value();
            }
          }
        }
      }
    }
    try {
      return constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IllegalArgumentException iae) {
        throw iae.getMessage() != null && iae.getMessage().startsWith(source) ? iae
            : new IllegalArgumentException(source + ": " + iae.getMessage(), iae);
      }
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T value(ConfigKey<T> k, JsonNode v, String source) {
    if (v == null || v.isNull()) {
      return k.defaultValue();
    }
    T t;
    try {
      t = k.type().read(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + k.name() + " " + e.getMessage(), e);
    }
    if (!k.valid().test(t)) {
      throw new IllegalArgumentException(source + ": " + k.name() + " must be " + k.rule() + ", got " + v);
    }
    return t;
  }

  /** The resolved recipe, every key with its value. */
  public ObjectNode toJson(R r) {
    ObjectNode n = JSON.createObjectNode();
    for (ConfigKey<?> k : keys) {
      n.set(k.name(), write(k, get(r, k.name())));
    }
    return n;
  }

  @SuppressWarnings("unchecked")
  private static <T> JsonNode write(ConfigKey<T> k, Object v) {
    return k.type().write((T) v);
  }

  /** The value of {@code key} in {@code r}, typed. */
  @SuppressWarnings("unchecked")
  public <T> T get(R r, ConfigKey<T> key) {
    if (byName.get(key.name()) != key) {
      throw new IllegalArgumentException(type.getSimpleName() + " has no key " + key.name());
    }
    return (T) get(r, key.name());
  }

  /** The value of key {@code name} in {@code r}. */
  public Object get(R r, String name) {
    for (int i = 0; i < components.length; i++) {
      if (byComponent[i].name().equals(name)) {
        try {
          return components[i].getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    throw new IllegalArgumentException(unknownKey(name));
  }

  /**
   * The keys whose value in {@code r} differs from a resolved config written earlier ({@link
   * #toJson}); a key absent there counts as its default, keys unknown there are ignored. Values are
   * compared after reading, so {@code 2} and {@code 2.0} of a number key are equal.
   */
  public Map<String, JsonNode[]> changes(ObjectNode previous, R r) {
    Map<String, JsonNode[]> out = new LinkedHashMap<>();
    for (ConfigKey<?> k : keys) {
      Object now = get(r, k.name());
      JsonNode was = previous.get(k.name());
      Object then;
      try {
        then = was == null || was.isNull() ? k.defaultValue() : k.type().read(was);
      } catch (IllegalArgumentException e) {
        then = null;
      }
      if (!Objects.equals(then, now)) {
        out.put(k.name(), new JsonNode[] {was, write(k, now)});
      }
    }
    return out;
  }

  /** The README table: key, type, default, meaning; one row per key in declaration order. */
  public String markdownTable() {
    StringBuilder b = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
    for (ConfigKey<?> k : keys) {
      String def = k.isRequired() ? "required" : "`" + shown(write(k, k.defaultValue())).replace("|", "\\|") + "`";
      for (DefaultWhen d : defaultsWhen) {
        if (d.key().equals(k.name())) {
          def += " (`" + d.value() + "` when `" + d.when() + "` is " + d.whenValue() + ")";
        }
      }
      String t = k.type().describe() + (k.rule().isEmpty() ? "" : ", " + k.rule());
      b.append("| `").append(k.name()).append("` | ").append(t).append(" | ").append(def).append(" | ")
          .append(k.doc().replace("|", "\\|")).append(" |\n");
    }
    return b.toString();
  }

  /** A value as a YAML user writes it: text unquoted (empty as ""), 1.0e-4 rather than 1.0E-4. */
  private static String shown(JsonNode v) {
    if (v.isTextual()) {
      return v.asText().isEmpty() ? "\"\"" : v.asText();
    }
    return v.isDouble() ? Double.toString(v.asDouble()).replace("E", "e") : v.toString();
  }

  private String unknownKey(String k) {
    String near = byName.keySet().stream().min(Comparator.comparingInt(n -> distance(n, k))).orElse("");
    String hint = distance(near, k) <= Math.max(2, k.length() / 4) ? " (did you mean '" + near + "'?)" : "";
    return "unknown key '" + k + "'" + hint + "; " + type.getSimpleName() + " keys: " + String.join(", ", byName.keySet());
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  static String camel(String snake) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        up = true;
      } else {
        b.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return b.toString();
  }

  private static Class<?> boxed(Class<?> c) {
    if (!c.isPrimitive()) {
      return c;
    }
    return switch (c.getName().toLowerCase(Locale.ROOT)) {
      case "int" -> Integer.class;
      case "long" -> Long.class;
      case "double" -> Double.class;
      case "boolean" -> Boolean.class;
      case "float" -> Float.class;
      default -> throw new IllegalArgumentException("unsupported component type " + c);
    };
  }

  /** The record type. */
  public Class<R> type() {
    return type;
  }

  /** Keys in the order given, as a list (for composing shared key groups). */
  public static List<ConfigKey<?>> concat(List<List<ConfigKey<?>>> groups) {
    List<ConfigKey<?>> out = new ArrayList<>();
    groups.forEach(out::addAll);
    return out;
  }
}
