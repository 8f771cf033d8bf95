package dev.align4j.recipes.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An SFT (or continued pre-training) recipe: LLaMA-Factory's key names, read from YAML with {@code
 * key=value} overrides from the command line. Unknown keys are errors, so a typo never silently falls
 * back to a default.
 */
public record SftRecipe(
    String modelNameOrPath, String finetuningType, int loraRank, double loraAlpha, double loraDropout,
    String loraTarget, boolean useDora, boolean useRslora, String dataset, String evalDataset, String formatting,
    int cutoffLen, boolean trainOnPrompt, boolean maskHistory, int batchSize, int gradientAccumulationSteps,
    double learningRate, String lrSchedulerType, long warmupSteps, long maxSteps, double maxGradNorm,
    double weightDecay, long seed, String outputDir, long saveSteps, long evalSteps, String precision,
    String attention, boolean merge, boolean packing, double neftuneNoiseAlpha, String template,
    ObjectNode datasetInfo, int quantizationBit, boolean doubleQuantization, int freezeTrainableLayers,
    String freezeExtraModules, boolean gradientCheckpointing, int earlyStoppingPatience,
    double earlyStoppingThreshold, int numVirtualTokens, int encoderHiddenSize) {

  private static final Map<String, Object> DEFAULTS = Map.ofEntries(
      Map.entry("finetuning_type", "lora"), Map.entry("lora_rank", 8), Map.entry("lora_alpha", 16.0),
      Map.entry("lora_dropout", 0.0), Map.entry("lora_target", "all"), Map.entry("use_dora", false),
      Map.entry("use_rslora", false), Map.entry("eval_dataset", ""), Map.entry("formatting", "auto"),
      Map.entry("cutoff_len", 1024), Map.entry("train_on_prompt", false), Map.entry("mask_history", false),
      Map.entry("per_device_train_batch_size", 4), Map.entry("gradient_accumulation_steps", 1),
      Map.entry("learning_rate", 1e-4), Map.entry("lr_scheduler_type", "cosine"), Map.entry("warmup_steps", 0),
      Map.entry("max_steps", 100), Map.entry("max_grad_norm", 1.0), Map.entry("weight_decay", 0.0),
      Map.entry("seed", 42), Map.entry("output_dir", "runs/sft"), Map.entry("save_steps", 0),
      Map.entry("eval_steps", 0), Map.entry("precision", "float32"), Map.entry("attention", "composed"),
      Map.entry("merge", false), Map.entry("packing", false), Map.entry("neftune_noise_alpha", 0.0),
      Map.entry("template", ""), Map.entry("dataset_info", Map.of()), Map.entry("quantization_bit", 0),
      Map.entry("double_quantization", true), Map.entry("freeze_trainable_layers", 2),
      Map.entry("freeze_extra_modules", ""), Map.entry("gradient_checkpointing", false),
      Map.entry("early_stopping_patience", 0), Map.entry("early_stopping_threshold", 0.0),
      Map.entry("num_virtual_tokens", 20), Map.entry("encoder_hidden_size", 128));
  private static final Set<String> REQUIRED = Set.of("model_name_or_path", "dataset");

  /** Validates. */
  public SftRecipe {
    if (!List.of("lora", "ia3", "prompt_tuning", "p_tuning", "prefix_tuning", "freeze", "full").contains(finetuningType)) {
      throw new IllegalArgumentException("finetuning_type must be lora, ia3, prompt_tuning, p_tuning, prefix_tuning, "
          + "freeze or full, got '" + finetuningType + "'");
    }
    if (quantizationBit != 0 && quantizationBit != 4) {
      throw new IllegalArgumentException("quantization_bit must be 4 (QLoRA, NF4) or absent, got " + quantizationBit);
    }
    if (quantizationBit == 4 && !finetuningType.equals("lora")) {
      throw new IllegalArgumentException("quantization_bit 4 needs finetuning_type lora (QLoRA)");
    }
    if (maxSteps <= 0 || batchSize <= 0 || gradientAccumulationSteps <= 0) {
      throw new IllegalArgumentException("max_steps, per_device_train_batch_size and gradient_accumulation_steps must be > 0");
    }
  }

  /** Reads a YAML recipe and applies {@code key=value} overrides. */
  public static SftRecipe load(Path yaml, List<String> overrides) throws IOException {
    ObjectMapper y = new ObjectMapper(new YAMLFactory());
    JsonNode root;
    try {
      root = yaml == null ? y.createObjectNode() : y.readTree(yaml.toFile());
    } catch (IOException e) {
      throw new IOException(yaml + ": not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      root = y.createObjectNode();
    }
    ObjectNode o = (ObjectNode) root;
    for (String ov : overrides) {
      int eq = ov.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("override '" + ov + "' is not key=value");
      }
      o.set(ov.substring(0, eq).trim(), y.readTree(ov.substring(eq + 1)));
    }
    return from(o, yaml == null ? "recipe" : yaml.toString());
  }

  /** Builds a recipe from a JSON/YAML tree; errors name the source and the field. */
  public static SftRecipe from(ObjectNode o, String source) {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!DEFAULTS.containsKey(k) && !REQUIRED.contains(k)) {
        throw new IllegalArgumentException(source + ": unknown key '" + k + "'");
      }
    }
    for (String k : REQUIRED) {
      if (!o.hasNonNull(k)) {
        throw new IllegalArgumentException(source + ": missing required key '" + k + "'");
      }
    }
    F f = new F(o, source);
    try {
      return new SftRecipe(f.s("model_name_or_path"), f.s("finetuning_type"), f.i("lora_rank"), f.d("lora_alpha"),
          f.d("lora_dropout"), f.s("lora_target"), f.b("use_dora"), f.b("use_rslora"), f.s("dataset"),
          f.s("eval_dataset"), f.s("formatting"), f.i("cutoff_len"), f.b("train_on_prompt"), f.b("mask_history"),
          f.i("per_device_train_batch_size"), f.i("gradient_accumulation_steps"), f.d("learning_rate"),
          f.s("lr_scheduler_type"), f.l("warmup_steps"), f.l("max_steps"), f.d("max_grad_norm"), f.d("weight_decay"),
          f.l("seed"), f.s("output_dir"), f.l("save_steps"), f.l("eval_steps"), f.s("precision"), f.s("attention"),
          f.b("merge"), f.b("packing"), f.d("neftune_noise_alpha"), f.s("template"), f.obj("dataset_info"),
          f.i("quantization_bit"), f.b("double_quantization"), f.i("freeze_trainable_layers"),
          f.s("freeze_extra_modules"), f.b("gradient_checkpointing"), f.i("early_stopping_patience"),
          f.d("early_stopping_threshold"), f.i("num_virtual_tokens"), f.i("encoder_hidden_size"));
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(source) ? e : new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** The resolved recipe as a tree (written next to the results). */
  public ObjectNode toJson() {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("model_name_or_path", modelNameOrPath).put("finetuning_type", finetuningType).put("lora_rank", loraRank)
        .put("lora_alpha", loraAlpha).put("lora_dropout", loraDropout).put("lora_target", loraTarget)
        .put("use_dora", useDora).put("use_rslora", useRslora).put("dataset", dataset).put("eval_dataset", evalDataset)
        .put("formatting", formatting).put("cutoff_len", cutoffLen).put("train_on_prompt", trainOnPrompt)
        .put("mask_history", maskHistory).put("per_device_train_batch_size", batchSize)
        .put("gradient_accumulation_steps", gradientAccumulationSteps).put("learning_rate", learningRate)
        .put("lr_scheduler_type", lrSchedulerType).put("warmup_steps", warmupSteps).put("max_steps", maxSteps)
        .put("max_grad_norm", maxGradNorm).put("weight_decay", weightDecay).put("seed", seed)
        .put("output_dir", outputDir).put("save_steps", saveSteps).put("eval_steps", evalSteps)
        .put("precision", precision).put("attention", attention).put("merge", merge).put("packing", packing)
        .put("neftune_noise_alpha", neftuneNoiseAlpha).put("template", template);
    n.set("dataset_info", datasetInfo);
    n.put("quantization_bit", quantizationBit).put("double_quantization", doubleQuantization)
        .put("freeze_trainable_layers", freezeTrainableLayers).put("freeze_extra_modules", freezeExtraModules)
        .put("gradient_checkpointing", gradientCheckpointing).put("early_stopping_patience", earlyStoppingPatience)
        .put("early_stopping_threshold", earlyStoppingThreshold).put("num_virtual_tokens", numVirtualTokens)
        .put("encoder_hidden_size", encoderHiddenSize);
    return n;
  }

  /** Typed field access with defaults and errors naming the field. */
  private record F(ObjectNode o, String source) {
    JsonNode get(String k) {
      JsonNode v = o.get(k);
      if (v == null || v.isNull()) {
        Object d = DEFAULTS.get(k);
        return new ObjectMapper().valueToTree(d);
      }
      return v;
    }

    String s(String k) {
      JsonNode v = get(k);
      if (!v.isValueNode()) {
        throw new IllegalArgumentException(source + ": " + k + " must be a string");
      }
      return v.asText();
    }

    int i(String k) {
      JsonNode v = get(k);
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new IllegalArgumentException(source + ": " + k + " must be an integer, got " + v);
      }
      return v.asInt();
    }

    long l(String k) {
      JsonNode v = get(k);
      if (!v.isIntegralNumber()) {
        throw new IllegalArgumentException(source + ": " + k + " must be an integer, got " + v);
      }
      return v.asLong();
    }

    double d(String k) {
      JsonNode v = get(k);
      if (v.isNumber()) {
        return v.asDouble();
      }
      if (v.isTextual()) {
        try {
          return Double.parseDouble(v.asText());   // YAML 1.1 reads 2e-4 as a string
        } catch (NumberFormatException e) {
          // fall through to the error
        }
      }
      throw new IllegalArgumentException(source + ": " + k + " must be a number, got " + v);
    }

    ObjectNode obj(String k) {
      JsonNode v = get(k);
      if (!v.isObject()) {
        throw new IllegalArgumentException(source + ": " + k + " must be a mapping (formatting, columns, tags)");
      }
      return (ObjectNode) v;
    }

    boolean b(String k) {
      JsonNode v = get(k);
      if (!v.isBoolean()) {
        throw new IllegalArgumentException(source + ": " + k + " must be true or false, got " + v);
      }
      return v.asBoolean();
    }
  }

  /** The keys a YAML recipe file sets (empty for none). */
  public static Set<String> keysIn(Path yaml) throws IOException {
    if (yaml == null) {
      return Set.of();
    }
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml.toFile());
    java.util.HashSet<String> keys = new java.util.HashSet<>();
    if (root != null) {
      root.fieldNames().forEachRemaining(keys::add);
    }
    return keys;
  }

  /** Whether a path string names an existing file. */
  static boolean exists(String p) {
    return p != null && !p.isBlank() && Files.exists(Path.of(p));
  }
}
