package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the RoPE keys of {@code config.json} in both layouts, with transformers 5.17's precedence
 * ({@code RotaryEmbeddingConfigMixin.convert_rope_params_to_dict} and {@code
 * standardize_rope_params}):
 *
 * <ul>
 *   <li>transformers 4: top-level {@code rope_theta} and {@code rope_scaling} ({@code type} or
 *       {@code rope_type});
 *   <li>transformers 5: {@code rope_parameters} holding {@code rope_theta}, {@code rope_type} and
 *       the type's parameters.
 * </ul>
 *
 * A non-empty {@code rope_scaling} wins over {@code rope_parameters}; {@code rope_theta} inside the
 * dictionary wins over the top-level one, which wins over the default 10000. A type or key that
 * would change the math and is not implemented is an error naming it.
 */
final class RopeJson {
  private RopeJson() {}

  /** The base and the variant ({@code null} for plain RoPE). */
  record Rope(double theta, RopeScaling scaling) {}

  private static final Set<String> COMMON = Set.of("rope_type", "type", "rope_theta", "partial_rotary_factor");
  private static final Set<String> LINEAR = Set.of("factor");
  private static final Set<String> YARN = Set.of("factor", "original_max_position_embeddings",
      "attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate");
  private static final Set<String> LLAMA3 = Set.of("factor", "original_max_position_embeddings",
      "low_freq_factor", "high_freq_factor");

  static Rope read(JsonNode json, int maxPositionEmbeddings, List<String> layerTypes) {
    JsonNode scaling = json.get("rope_scaling");
    JsonNode params = json.get("rope_parameters");
    String where = "rope_scaling";
    JsonNode dict = scaling;
    if (dict == null || dict.isNull() || dict.isEmpty()) {
      dict = params;
      where = "rope_parameters";
    }
    if (dict != null && !dict.isNull() && !dict.isObject()) {
      throw new IllegalArgumentException("config: " + where + " must be an object, got " + dict);
    }
    if (dict == null || dict.isNull()) {
      dict = null;
    } else if (layerTypes != null) {
      for (String lt : layerTypes) {
        if (dict.has(lt)) {
          throw new IllegalArgumentException("config: " + where + " per layer type ('" + lt
              + "') is not supported; give one dictionary for all layers");
        }
      }
    }
    double theta = dict != null && dict.hasNonNull("rope_theta")
        ? number(dict, "rope_theta", where)
        : json.hasNonNull("rope_theta") ? number(json, "rope_theta", "config") : 10000.0;
    if (!(theta > 0)) {
      throw new IllegalArgumentException("config: rope_theta must be > 0, got " + theta);
    }
    // partial_rotary_factor: top level or inside; these families rotate the whole head
    for (JsonNode n : new JsonNode[] {json, dict}) {
      if (n != null && n.hasNonNull("partial_rotary_factor") && number(n, "partial_rotary_factor", "config") != 1.0) {
        throw new IllegalArgumentException("config: partial_rotary_factor " + n.get("partial_rotary_factor")
            + " is not supported (llama, mistral, qwen2 and qwen3 rotate the whole head)");
      }
    }
    if (dict == null) {
      return new Rope(theta, null);
    }
    String type = dict.hasNonNull("rope_type") ? dict.get("rope_type").asText()
        : dict.hasNonNull("type") ? dict.get("type").asText() : "default";
    // transformers moves a top-level original_max_position_embeddings into the dictionary, with priority
    Integer topOriginal = json.hasNonNull("original_max_position_embeddings")
        ? integer(json, "original_max_position_embeddings", "config") : null;
    RopeScaling s = switch (type) {
      case "default" -> {
        known(dict, Set.of(), where, type);
        yield null;
      }
      case "linear" -> {
        known(dict, LINEAR, where, type);
        yield new RopeScaling.Linear(number(dict, "factor", where));
      }
      case "dynamic" -> {
        known(dict, LINEAR, where, type);
        yield new RopeScaling.Dynamic(number(dict, "factor", where));
      }
      case "yarn" -> {
        known(dict, YARN, where, type);
        int original = original(dict, topOriginal, maxPositionEmbeddings, where);
        double factor = dict.hasNonNull("factor") ? number(dict, "factor", where)
            : (double) maxPositionEmbeddings / original;
        double betaFast = dict.hasNonNull("beta_fast") ? number(dict, "beta_fast", where) : 0;
        double betaSlow = dict.hasNonNull("beta_slow") ? number(dict, "beta_slow", where) : 0;
        yield new RopeScaling.Yarn(factor, original,
            dict.hasNonNull("attention_factor") ? number(dict, "attention_factor", where) : null,
            betaFast == 0 ? 32 : betaFast, betaSlow == 0 ? 1 : betaSlow,
            dict.hasNonNull("mscale") ? number(dict, "mscale", where) : null,
            dict.hasNonNull("mscale_all_dim") ? number(dict, "mscale_all_dim", where) : null,
            !dict.hasNonNull("truncate") || bool(dict, "truncate", where));
      }
      case "llama3" -> {
        known(dict, LLAMA3, where, type);
        yield new RopeScaling.Llama3(number(dict, "factor", where), number(dict, "low_freq_factor", where),
            number(dict, "high_freq_factor", where), original(dict, topOriginal, maxPositionEmbeddings, where));
      }
      default -> throw new IllegalArgumentException("config: " + where + " rope_type '" + type
          + "' is not supported (supported: default, linear, dynamic, yarn, llama3)");
    };
    return new Rope(theta, s);
  }

  private static int original(JsonNode dict, Integer top, int maxPositionEmbeddings, String where) {
    if (top != null) {
      return top;
    }
    return dict.hasNonNull("original_max_position_embeddings")
        ? integer(dict, "original_max_position_embeddings", where) : maxPositionEmbeddings;
  }

  private static void known(JsonNode dict, Set<String> typeKeys, String where, String type) {
    for (Iterator<String> it = dict.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!COMMON.contains(k) && !typeKeys.contains(k) && !dict.get(k).isNull()) {
        throw new IllegalArgumentException("config: " + where + "." + k + " is not a parameter of rope_type '"
            + type + "' (expected: " + typeKeys + ")");
      }
    }
  }

  private static double number(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException("config: " + where + "." + key + " must be a number, got " + v);
    }
    return v.doubleValue();
  }

  private static int integer(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("config: " + where + "." + key + " must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static boolean bool(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (!v.isBoolean()) {
      throw new IllegalArgumentException("config: " + where + "." + key + " must be true or false, got " + v);
    }
    return v.booleanValue();
  }
}
