package dev.align4j.recipes.sft;

import static dev.align4j.peft.config.ConfigKey.nonNegative;
import static dev.align4j.peft.config.ConfigKey.positive;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.MasterWeights;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.sft.BuiltinTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An SFT (or continued pre-training) recipe: LLaMA-Factory's key names, read from YAML with {@code
 * key=value} overrides from the command line. Every key is described once in {@link #SCHEMA} (name,
 * type, default, rule, meaning); unknown keys and unknown enum values are errors listing the valid
 * ones, so a typo never silently falls back to a default.
 */
public record SftRecipe(
    String modelNameOrPath, FinetuningType finetuningType, int loraRank, double loraAlpha, double loraDropout,
    String loraTarget, boolean useDora, boolean useRslora, String dataset, String evalDataset, Formatting formatting,
    int cutoffLen, boolean trainOnPrompt, boolean maskHistory, int perDeviceTrainBatchSize, int gradientAccumulationSteps,
    double learningRate, ScheduleType lrSchedulerType, long warmupSteps, long maxSteps, double maxGradNorm,
    double weightDecay, long seed, String outputDir, long saveSteps, long evalSteps, Precision precision,
    AttentionImpl attention, boolean merge, boolean packing, double neftuneNoiseAlpha, Optional<BuiltinTemplate> template,
    ObjectNode datasetInfo, int quantizationBit, boolean doubleQuantization, int freezeTrainableLayers,
    String freezeExtraModules, boolean gradientCheckpointing, int earlyStoppingPatience,
    double earlyStoppingThreshold, int numVirtualTokens, int encoderHiddenSize, boolean allowConfigChange,
    MasterWeights masterWeights) {

  private static final List<ConfigKey<?>> SFT_KEYS = List.of(
      ConfigKey.required("model_name_or_path", KeyType.STRING, "Hugging Face checkpoint directory"),
      ConfigKey.required("dataset", KeyType.STRING, "training data: alpaca, sharegpt, OpenAI messages or {\"text\": ...}; JSONL or JSON array"),
      ConfigKey.of("eval_dataset", KeyType.STRING, "", "held-out data for eval loss, perplexity and sample generations"),
      ConfigKey.of("formatting", KeyType.choice(Formatting.class), Formatting.AUTO, "data layout; auto detects it from the first record"),
      ConfigKey.of("dataset_info", KeyType.MAPPING, JsonNodeFactory.instance.objectNode(),
          "LLaMA-Factory dataset_info entry: formatting, columns, tags"),
      ConfigKey.of("template", KeyType.optionalChoice(BuiltinTemplate.class, "the tokenizer's own chat template"),
          Optional.empty(), "chat template for base models without one"),
      ConfigKey.of("cutoff_len", KeyType.INT, 1024, "longer sequences are cut at the end; counted and reported")
          .check(n -> n >= 2, ">= 2"),
      ConfigKey.of("train_on_prompt", KeyType.BOOL, false, "train on every token (default: assistant turns and their end-of-turn token only)"),
      ConfigKey.of("mask_history", KeyType.BOOL, false, "train only on the last assistant turn"),
      ConfigKey.of("packing", KeyType.BOOL, false, "several examples per row, block-diagonal attention"),
      ConfigKey.of("neftune_noise_alpha", KeyType.DOUBLE, 0.0, "NEFTune embedding noise; 0 disables").check(nonNegative(), ">= 0"));

  /** QLoRA's switch. */
  static final ConfigKey<Integer> QUANTIZATION_BIT = ConfigKey.of("quantization_bit", KeyType.INT, 0,
      "4: QLoRA (NF4 base), with finetuning_type lora").check(b -> b == 0 || b == 4, "0 or 4");

  /**
   * What trains and how: {@code finetuning_type} and its methods' keys, shared by every stage recipe
   * that fine-tunes a model (SFT, reward modelling).
   */
  public static final List<ConfigKey<?>> ADAPTER_KEYS = List.of(
      ConfigKey.of("finetuning_type", KeyType.choice(FinetuningType.class), FinetuningType.LORA, "what is trained"),
      ConfigKey.of("lora_rank", KeyType.INT, 8, "LoRA rank r").check(positive(), "> 0"),
      ConfigKey.of("lora_alpha", KeyType.DOUBLE, 16.0, "LoRA scaling numerator (alpha / r, or alpha / sqrt(r) with rsLoRA)"),
      ConfigKey.of("lora_dropout", KeyType.DOUBLE, 0.0, "dropout on the LoRA input").check(d -> d >= 0 && d < 1, "in [0, 1)"),
      ConfigKey.of("lora_target", KeyType.STRING, "all", "all linear layers, or a comma list such as q_proj,v_proj"),
      ConfigKey.of("use_dora", KeyType.BOOL, false, "DoRA (weight-decomposed LoRA)"),
      ConfigKey.of("use_rslora", KeyType.BOOL, false, "rank-stabilised LoRA scaling alpha / sqrt(r)"),
      QUANTIZATION_BIT,
      ConfigKey.of("double_quantization", KeyType.BOOL, true, "QLoRA: quantise the NF4 block scales too"),
      ConfigKey.of("freeze_trainable_layers", KeyType.INT, 2, "freeze tuning: train the last N decoder layers (negative: the first N)"),
      ConfigKey.of("freeze_extra_modules", KeyType.STRING, "", "freeze tuning: further trainable modules, comma-separated"),
      ConfigKey.of("num_virtual_tokens", KeyType.INT, 20, "prompt, P- and prefix tuning: virtual tokens").check(positive(), "> 0"),
      ConfigKey.of("encoder_hidden_size", KeyType.INT, 128, "P-tuning: hidden size of the prompt encoder").check(positive(), "> 0"));

  private static final List<ConfigKey<?>> OUTPUT_KEYS = List.of(
      ConfigKey.of("output_dir", KeyType.STRING, "runs/sft", "adapter/ or model/, checkpoints/, metrics.jsonl, loss.png, resolved_config.json"),
      ConfigKey.of("merge", KeyType.BOOL, false, "also save the adapter merged into the base under merged/"));

  /**
   * Every key of an SFT recipe, in README order. QLoRA (quantization_bit 4) checkpoints activations
   * unless the recipe says otherwise: without it autograd keeps every layer's dequantised float32 weight
   * from forward to backward and QLoRA's peak is above LoRA's (bench/RESULTS.md), which is why PEFT's
   * {@code prepare_model_for_kbit_training} and TRL turn it on.
   */
  public static final RecipeSchema<SftRecipe> SCHEMA = new RecipeSchema<>(SftRecipe.class,
      RecipeSchema.concat(List.of(SFT_KEYS, ADAPTER_KEYS, TrainingKeys.allWithMasterWeights(), OUTPUT_KEYS)))
      .withDefaultWhen(TrainingKeys.GRADIENT_CHECKPOINTING, true, QUANTIZATION_BIT, 4);

  /** Cross-key checks (each key's own rule is checked by {@link #SCHEMA}). */
  public SftRecipe {
    if (quantizationBit != 0 && quantizationBit != 4) {
      throw new IllegalArgumentException("quantization_bit must be 4 (QLoRA, NF4) or absent, got " + quantizationBit);
    }
    if (quantizationBit == 4 && finetuningType != FinetuningType.LORA) {
      throw new IllegalArgumentException("quantization_bit 4 needs finetuning_type lora (QLoRA)");
    }
    if (maxSteps <= 0 || perDeviceTrainBatchSize <= 0 || gradientAccumulationSteps <= 0) {
      throw new IllegalArgumentException("max_steps, per_device_train_batch_size and gradient_accumulation_steps must be > 0");
    }
    if (masterWeights == MasterWeights.NONE && precision != Precision.BFLOAT16) {
      throw new IllegalArgumentException("master_weights none (pure bfloat16 training) needs precision bfloat16, got "
          + KeyType.nameOf(precision));
    }
    if (masterWeights == MasterWeights.NONE && !PURE_BF16_TYPES.contains(finetuningType)) {
      throw new IllegalArgumentException("master_weights none is supported for finetuning_type full, freeze and lora, "
          + "got " + KeyType.nameOf(finetuningType));
    }
    if (masterWeights == MasterWeights.NONE && useDora) {
      throw new IllegalArgumentException("master_weights none is not supported with use_dora (DoRA)");
    }
    if (masterWeights == MasterWeights.NONE && quantizationBit != 0) {
      throw new IllegalArgumentException("master_weights none is not supported with quantization_bit 4 (QLoRA)");
    }
    datasetInfo = datasetInfo.deepCopy();
  }

  /** The fine-tuning types that train without float32 masters under {@code master_weights: none}. */
  private static final Set<FinetuningType> PURE_BF16_TYPES =
      Set.of(FinetuningType.FULL, FinetuningType.FREEZE, FinetuningType.LORA);

  /** Reads a YAML recipe and applies {@code key=value} overrides. */
  public static SftRecipe load(Path yaml, List<String> overrides) throws IOException {
    return SCHEMA.load(yaml, overrides);
  }

  /** Builds a recipe from a JSON/YAML tree; errors name the source and the field. */
  public static SftRecipe from(ObjectNode o, String source) {
    return SCHEMA.parse(o, source);
  }

  /** The resolved recipe as a tree (written next to the results). */
  public ObjectNode toJson() {
    return SCHEMA.toJson(this);
  }

  /** {@code per_device_train_batch_size}. */
  public int batchSize() {
    return perDeviceTrainBatchSize;
  }

  /** The keys a YAML recipe file sets (empty for none). */
  public static Set<String> keysIn(Path yaml) throws IOException {
    return RecipeSchema.keysIn(yaml);
  }
}
