package dev.align4j.recipes.rm;

import static dev.align4j.peft.config.ConfigKey.nonNegative;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.data.preference.OverlongPolicy;
import dev.align4j.peft.data.preference.TruncationMode;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.recipes.sft.FinetuningType;
import dev.align4j.recipes.sft.SftRecipe;
import dev.align4j.sft.BuiltinTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A reward-modelling recipe: preference pairs, what trains (the SFT recipe's {@link
 * SftRecipe#ADAPTER_KEYS}: LoRA, QLoRA, freeze or full; the {@code score} head always trains), the
 * engine's {@link TrainingKeys}, and the reward-model keys (TRL's {@code center_rewards_coefficient},
 * transformers' {@code metric_for_best_model}).
 */
public record RmRecipe(
    String modelNameOrPath, String adapterNameOrPath, String dataset, String evalDataset, ObjectNode datasetInfo, Optional<BuiltinTemplate> template,
    int cutoffLen, OverlongPolicy overlong, TruncationMode truncation, double centerRewardsCoefficient,
    BestModelMetric metricForBestModel,
    FinetuningType finetuningType, int loraRank, double loraAlpha, double loraDropout, String loraTarget, boolean useDora,
    boolean useRslora, int quantizationBit, boolean doubleQuantization, int freezeTrainableLayers,
    String freezeExtraModules, int numVirtualTokens, int encoderHiddenSize,
    Precision precision, AttentionImpl attention, int perDeviceTrainBatchSize, int gradientAccumulationSteps,
    double learningRate, ScheduleType lrSchedulerType, long warmupSteps, long maxSteps, double maxGradNorm,
    double weightDecay, long seed, long saveSteps, long evalSteps, boolean gradientCheckpointing,
    int earlyStoppingPatience, double earlyStoppingThreshold, boolean allowConfigChange, String outputDir, boolean merge) {

  private static final List<ConfigKey<?>> RM_KEYS = List.of(
      ConfigKey.required("model_name_or_path", KeyType.STRING,
          "Hugging Face checkpoint directory: a causal LM (a new score head is drawn) or a reward model"),
      ConfigKey.of("adapter_name_or_path", KeyType.STRING, "",
          "start the LoRA reward model from this PEFT LoRA adapter of the same base (e.g. the SFT one, as "
          + "InstructGPT and OpenRLHF start the reward model from the SFT model); a new score head is drawn; "
          + "lora_rank, lora_alpha, lora_dropout, lora_target, use_dora and use_rslora must match its config"),
      ConfigKey.required("dataset", KeyType.STRING, "preference pairs: prompt/chosen/rejected as text or "
          + "conversations, implicit prompt, optional margin, or LLaMA-Factory ranking data; JSONL or JSON array"),
      ConfigKey.of("eval_dataset", KeyType.STRING, "", "held-out pairs: eval loss and accuracy, reward statistics"),
      ConfigKey.of("dataset_info", KeyType.MAPPING, JsonNodeFactory.instance.objectNode(),
          "LLaMA-Factory dataset_info entry (ranking: true; formatting, columns, tags)"),
      ConfigKey.of("template", KeyType.optionalChoice(BuiltinTemplate.class, "the tokenizer's own chat template"),
          Optional.empty(), "chat template for conversational pairs on base models without one"),
      ConfigKey.of("cutoff_len", KeyType.INT, 1024, "longest side in tokens (TRL's max_length); longer pairs are "
          + "counted and dropped or truncated").check(n -> n >= 2, ">= 2"),
      ConfigKey.of("overlong", KeyType.choice(OverlongPolicy.class), OverlongPolicy.DROP,
          "what happens to pairs longer than cutoff_len (TRL drops them)"),
      ConfigKey.of("truncation", KeyType.choice(TruncationMode.class), TruncationMode.KEEP_START,
          "overlong truncate: keep the start, or cut the prompt first"),
      ConfigKey.of("center_rewards_coefficient", KeyType.DOUBLE, 0.0,
          "TRL's reward centering: adds coef * mean((r_chosen + r_rejected)^2); 0 disables").check(nonNegative(), ">= 0"),
      ConfigKey.of("metric_for_best_model", KeyType.choice(BestModelMetric.class), BestModelMetric.LOSS,
          "what picks best/ and drives early stopping: eval loss (lower) or eval accuracy (higher)"));

  private static final List<ConfigKey<?>> OUTPUT_KEYS = List.of(
      ConfigKey.of("output_dir", KeyType.STRING, "runs/rm",
          "adapter/ or model/ (with reward_stats.json), checkpoints/, metrics.jsonl, loss.png, resolved_config.json"),
      ConfigKey.of("merge", KeyType.BOOL, false, "also save the LoRA reward model merged into the base under merged/"));

  /** Every key of a reward-modelling recipe, in README order. */
  public static final RecipeSchema<RmRecipe> SCHEMA = new RecipeSchema<>(RmRecipe.class,
      RecipeSchema.concat(List.of(RM_KEYS, SftRecipe.ADAPTER_KEYS, TrainingKeys.ALL, OUTPUT_KEYS)));

  /** Cross-key checks (each key's own rule is checked by {@link #SCHEMA}). */
  public RmRecipe {
    if (finetuningType != FinetuningType.LORA && finetuningType != FinetuningType.FULL
        && finetuningType != FinetuningType.FREEZE) {
      throw new IllegalArgumentException("finetuning_type " + KeyType.nameOf(finetuningType)
          + " cannot train a reward model; use lora (QLoRA with quantization_bit 4), freeze or full");
    }
    if (!adapterNameOrPath.isBlank() && finetuningType != FinetuningType.LORA) {
      throw new IllegalArgumentException("adapter_name_or_path needs finetuning_type lora (got "
          + KeyType.nameOf(finetuningType) + "; merge the adapter first for freeze or full training)");
    }
    if (quantizationBit == 4 && finetuningType != FinetuningType.LORA) {
      throw new IllegalArgumentException("quantization_bit 4 needs finetuning_type lora (QLoRA)");
    }
    datasetInfo = datasetInfo.deepCopy();
  }

  /** Reads a YAML recipe and applies {@code key=value} overrides. */
  public static RmRecipe load(Path yaml, List<String> overrides) throws IOException {
    return SCHEMA.load(yaml, overrides);
  }

  /** Builds a recipe from a JSON/YAML tree; errors name the source and the field. */
  public static RmRecipe from(ObjectNode o, String source) {
    return SCHEMA.parse(o, source);
  }

  /** The resolved recipe as a tree (written next to the results). */
  public ObjectNode toJson() {
    return SCHEMA.toJson(this);
  }
}
