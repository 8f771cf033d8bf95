package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The config values of a PEFT adapter that would change the math and that align4j does not implement:
 * each is refused with its key, never ignored. Keys PEFT itself ignores when loading (dropout,
 * initialisation-only settings, bookkeeping) and unknown keys (PEFT drops those with a warning) pass.
 */
final class UnsupportedKeys {
  private UnsupportedKeys() {}

  /** {@code init_lora_weights} values that only choose the starting point of A and B. */
  private static final Set<String> INIT_ONLY = Set.of("true", "false", "gaussian", "eva", "orthogonal");

  /** Problems with a LoRA config ({@code peft_type: LORA}), empty when align4j computes it exactly. */
  static List<String> lora(JsonNode c) {
    List<String> out = new ArrayList<>();
    requireValue(c, "bias", "none", out);
    requireFalse(c, "lora_bias", out);
    requireFalse(c, "fan_in_fan_out", out);
    requireFalse(c, "use_qalora", out);
    requireFalse(c, "ensure_weight_tying", out);
    for (String k : List.of("layer_replication", "megatron_config", "target_parameters", "trainable_token_indices",
        "alora_invocation_tokens", "use_bdlora", "arrow_config", "kasa_config", "monteclora_config", "velora_config")) {
      requireEmpty(c, k, out);
    }
    JsonNode init = c.get("init_lora_weights");
    if (init != null && !init.isNull() && !INIT_ONLY.contains(init.asText())) {
      out.add("init_lora_weights=" + init + " (it changes the base weights at initialisation; convert the adapter to"
          + " plain LoRA with PEFT's path_initial_model_for_weight_conversion)");
    }
    JsonNode t = c.get("task_type");
    if (t != null && !t.isNull() && !t.asText().equals("CAUSAL_LM") && !t.asText().equals("SEQ_CLS")) {
      out.add("task_type=" + t + " (only CAUSAL_LM, or SEQ_CLS with a score head)");
    }
    return out;
  }

  /** Problems with an IA3 config. */
  static List<String> ia3(JsonNode c) {
    List<String> out = new ArrayList<>();
    requireFalse(c, "fan_in_fan_out", out);
    requireEmpty(c, "modules_to_save", out);
    taskType(c, out);
    return out;
  }

  /** Problems with a prompt-learning config (prompt tuning, P-tuning, prefix tuning). */
  static List<String> promptLearning(JsonNode c) {
    List<String> out = new ArrayList<>();
    JsonNode n = c.get("num_transformer_submodules");
    if (n != null && !n.isNull() && n.asInt() != 1) {
      out.add("num_transformer_submodules=" + n + " (decoder-only models have 1)");
    }
    requireEmpty(c, "modules_to_save", out);
    requireFalse(c, "prefix_projection", out);
    JsonNode t = c.get("task_type");
    if (t == null || !"CAUSAL_LM".equals(t.asText())) {
      out.add("task_type=" + t + " (prompt learning on a causal LM needs CAUSAL_LM)");
    }
    return out;
  }

  private static void taskType(JsonNode c, List<String> out) {
    JsonNode t = c.get("task_type");
    if (t != null && !t.isNull() && !t.asText().equals("CAUSAL_LM")) {
      out.add("task_type=" + t + " (only CAUSAL_LM)");
    }
  }

  private static void requireValue(JsonNode c, String key, String want, List<String> out) {
    JsonNode n = c.get(key);
    if (n != null && !n.isNull() && !n.asText().equals(want)) {
      out.add(key + "=" + n + " (only \"" + want + "\")");
    }
  }

  private static void requireFalse(JsonNode c, String key, List<String> out) {
    JsonNode n = c.get(key);
    if (n != null && !n.isNull() && !(n.isBoolean() && !n.asBoolean())) {
      out.add(key + "=" + n + " (only false)");
    }
  }

  private static void requireEmpty(JsonNode c, String key, List<String> out) {
    JsonNode n = c.get(key);
    if (n != null && !n.isNull() && !((n.isArray() || n.isObject()) && n.isEmpty())) {
      out.add(key + "=" + n + " (not supported)");
    }
  }
}
