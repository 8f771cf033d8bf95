package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which modules an adapter config selects, exactly as PEFT 0.21 decides it
 * ({@code tuners_utils.check_target_module_exists} and {@code _maybe_include_all_linear_layers}):
 *
 * <ul>
 *   <li>{@code exclude_modules} first: a string is a regex that must match the whole name; a list
 *       matches a name equal to an entry or ending in {@code "." + entry};
 *   <li>a module named (as a suffix) in {@code modules_to_save} is never targeted;
 *   <li>{@code target_modules} as a string is a regex on the whole name ({@code "all-linear"}, in
 *       any case, means every linear module but the output head, listed by full path); as a list, a
 *       name equal to an entry matches outright, and a name ending in {@code "." + entry} matches
 *       subject to {@code layers_to_transform} / {@code layers_pattern} (the first number after
 *       {@code <pattern>.}, or after the second name segment without a pattern).
 * </ul>
 */
public final class TargetMatcher {
  /** A list of names or one regex, as PEFT's {@code Union[list[str], str]} fields. */
  public record Selector(List<String> names, Pattern regex) {
    /** Parses a JSON list of strings or a string (a regex); null or JSON null gives null. */
    static Selector parse(JsonNode n, String key) {
      if (n == null || n.isNull()) {
        return null;
      }
      if (n.isTextual()) {
        return new Selector(null, TargetMatcher.regex(n.asText(), key));
      }
      if (n.isArray()) {
        List<String> names = new ArrayList<>();
        for (JsonNode e : n) {
          if (!e.isTextual()) {
            throw new IllegalArgumentException(key + ": entries must be strings, got " + e);
          }
          names.add(e.asText());
        }
        return new Selector(List.copyOf(names), null);
      }
      throw new IllegalArgumentException(key + ": must be a list of names or a regex string, got " + n);
    }
  }

  private final Selector targets;
  private final Selector exclude;
  private final List<Integer> layersToTransform;
  private final List<String> layersPattern;
  private final List<Pattern> saved = new ArrayList<>();

  /**
   * @param targets target modules (an {@code all-linear} regex selector is expanded by {@link #select})
   * @param exclude {@code exclude_modules}, or null
   * @param layersToTransform layer indices, or null/empty for all
   * @param layersPattern names of the layer list ({@code layers}), or null/empty for any
   * @param modulesToSave names never targeted
   */
  public TargetMatcher(Selector targets, Selector exclude, List<Integer> layersToTransform,
      List<String> layersPattern, List<String> modulesToSave) {
    if (targets == null) {
      throw new IllegalArgumentException("target_modules: missing");
    }
    this.targets = targets;
    this.exclude = exclude;
    this.layersToTransform = layersToTransform == null ? List.of() : List.copyOf(layersToTransform);
    this.layersPattern = layersPattern == null ? List.of() : List.copyOf(layersPattern);
    for (String m : modulesToSave == null ? List.<String>of() : modulesToSave) {
      saved.add(regex("(^|.*\\.)" + m + "($|\\..*)", "modules_to_save"));
    }
  }

  /**
   * Reads the matching keys of a PEFT config: {@code target_modules} (null: {@code defaults}),
   * {@code exclude_modules}, {@code layers_to_transform}, {@code layers_pattern}, {@code modules_to_save}.
   */
  public static TargetMatcher fromConfig(JsonNode c, List<String> defaults) {
    Selector t = Selector.parse(c.get("target_modules"), "target_modules");
    if (t == null) {
      t = new Selector(List.copyOf(defaults), null);
    }
    List<Integer> layers = null;
    JsonNode lt = c.get("layers_to_transform");
    if (lt != null && !lt.isNull()) {
      layers = new ArrayList<>();
      if (lt.isInt()) {
        layers.add(lt.asInt());
      } else if (lt.isArray()) {
        for (JsonNode e : lt) {
          if (!e.isInt()) {
            throw new IllegalArgumentException("layers_to_transform: entries must be integers, got " + e);
          }
          layers.add(e.asInt());
        }
      } else {
        throw new IllegalArgumentException("layers_to_transform: must be an integer or a list, got " + lt);
      }
    }
    List<String> pattern = null;
    JsonNode lp = c.get("layers_pattern");
    if (lp != null && !lp.isNull()) {
      pattern = new ArrayList<>();
      if (lp.isTextual()) {
        pattern.add(lp.asText());
      } else if (lp.isArray()) {
        for (JsonNode e : lp) {
          pattern.add(e.asText());
        }
      } else {
        throw new IllegalArgumentException("layers_pattern: must be a string or a list, got " + lp);
      }
    }
    return new TargetMatcher(t, Selector.parse(c.get("exclude_modules"), "exclude_modules"), layers, pattern,
        modulesToSave(c));
  }

  /** {@code modules_to_save} of a config (empty when absent or null). */
  static List<String> modulesToSave(JsonNode c) {
    List<String> out = new ArrayList<>();
    JsonNode n = c.get("modules_to_save");
    if (n != null && !n.isNull()) {
      if (!n.isArray()) {
        throw new IllegalArgumentException("modules_to_save: must be a list of names, got " + n);
      }
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }

  /**
   * The modules of {@code tree} this config targets, in model order. A matched module an adapter cannot
   * wrap (a norm, a container, the embedding) is an error naming it, as PEFT raises; so is matching
   * nothing.
   *
   * @param what the adapter kind, for messages (e.g. {@code lora})
   */
  public List<String> select(List<ModuleTree.Module> tree, String what) {
    Selector t = targets;
    if (t.regex() != null && t.regex().pattern().toLowerCase(Locale.ROOT).equals("all-linear")) {
      List<String> linear = new ArrayList<>();
      for (ModuleTree.Module m : tree) {
        if (m.kind() == ModuleTree.Kind.LINEAR && !m.path().equals("lm_head")) {
          linear.add(m.path());
        }
      }
      t = new Selector(linear, null);
    }
    List<String> out = new ArrayList<>();
    for (ModuleTree.Module m : tree) {
      if (!matches(t, m.path())) {
        continue;
      }
      if (m.kind() != ModuleTree.Kind.LINEAR) {
        throw new IllegalArgumentException(what + ": target_modules selects '" + m.path() + "' ("
            + (m.kind() == ModuleTree.Kind.EMBEDDING ? "an embedding" : "not a linear layer")
            + "); align4j adapts linear layers only");
      }
      out.add(m.path());
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(what + ": target_modules " + describe(targets) + " matches no module of the model");
    }
    return out;
  }

  /** Whether {@code key} (a module path) is targeted. */
  public boolean matches(String key) {
    return matches(targets, key);
  }

  private boolean matches(Selector t, String key) {
    if (exclude != null) {
      if (exclude.regex() != null ? exclude.regex().matcher(key).matches() : endsWithAny(exclude.names(), key)) {
        return false;
      }
    }
    for (Pattern p : saved) {
      if (p.matcher(key).lookingAt()) {
        return false;
      }
    }
    if (t.regex() != null) {
      return t.regex().matcher(key).matches();
    }
    if (t.names().contains(key)) {
      return true;
    }
    boolean found = false;
    for (String n : t.names()) {
      found |= key.endsWith("." + n);
    }
    if (!found || layersToTransform.isEmpty()) {
      return found;
    }
    Integer index = layerIndex(key);
    return index != null && layersToTransform.contains(index);
  }

  /** The first layer number in {@code key}, as PEFT finds it (lazy: never a nested expert index). */
  private Integer layerIndex(String key) {
    List<Pattern> ps = new ArrayList<>();
    if (layersPattern.isEmpty()) {
      ps.add(Pattern.compile(".*?\\.[^.]*\\.(?<idx>\\d+)\\."));
    } else {
      for (String p : layersPattern) {
        ps.add(regex("(?:^|.*?\\.)" + p + "\\.(?<idx>\\d+)\\.", "layers_pattern"));
      }
    }
    for (Pattern p : ps) {
      Matcher m = p.matcher(key);
      if (m.lookingAt()) {
        return Integer.parseInt(m.group("idx"));
      }
    }
    return null;
  }

  private static boolean endsWithAny(List<String> names, String key) {
    for (String n : names) {
      if (key.equals(n) || key.endsWith("." + n)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Selector s) {
    return s.regex() != null ? "'" + s.regex().pattern() + "'" : s.names().toString();
  }

  /** Compiles a Python regex (named groups rewritten to Java's spelling). */
  static Pattern regex(String python, String key) {
    String java = python.replace("(?P<", "(?<").replaceAll("\\(\\?P=(\\w+)\\)", "\\\\k<$1>");
    try {
      return Pattern.compile(java);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(key + ": not a valid regex '" + python + "': " + e.getDescription());
    }
  }
}
