package dev.align4j.recipes.dpo;

import static dev.align4j.peft.config.ConfigKey.nonNegative;
import static dev.align4j.peft.config.ConfigKey.positive;

import dev.align4j.peft.data.preference.TruncationMode;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.sft.BuiltinTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A preference-optimisation recipe ({@code align4j dpo|kto|orpo|simpo}): LLaMA-Factory's key names
 * where it has them ({@code pref_beta}, {@code pref_loss}, {@code ref_model}, {@code
 * adapter_name_or_path}, {@code cutoff_len}, {@code simpo_gamma}, {@code kto_*_weight}), TRL 1.13's
 * for what only TRL has ({@code loss_weights}, {@code ld_alpha}, {@code f_divergence_type}, {@code
 * use_weighting}, {@code precompute_ref_log_probs}, {@code truncation_mode}), and the engine's
 * {@link TrainingKeys}. Defaults are TRL's except the learning rate (align4j's LoRA default).
 */
public record DpoRecipe(
    String modelNameOrPath, String adapterNameOrPath, String refModel, PrefTuning finetuningType, int loraRank,
    double loraAlpha, String loraTarget, boolean useDora, boolean useRslora, int quantizationBit,
    boolean doubleQuantization, String dataset, String evalDataset, Optional<BuiltinTemplate> template, int cutoffLen,
    TruncationMode truncationMode, String prefLoss, String lossWeights, double prefBeta, double dpoLabelSmoothing,
    String ldAlpha, String fDivergenceType, double fAlphaDivergenceCoef, boolean useWeighting, double discopopTau,
    boolean referenceFree, double simpoGamma, double cpoAlpha, double ktoChosenWeight, double ktoRejectedWeight,
    boolean precomputeRefLogProbs, String refLogpsCacheDir, Precision precision, AttentionImpl attention,
    int perDeviceTrainBatchSize, int gradientAccumulationSteps, double learningRate, ScheduleType lrSchedulerType,
    long warmupSteps, long maxSteps, double maxGradNorm, double weightDecay, long seed, long saveSteps, long evalSteps,
    boolean gradientCheckpointing, int earlyStoppingPatience, double earlyStoppingThreshold, boolean allowConfigChange,
    String outputDir) {

  private static final List<ConfigKey<?>> MODEL_KEYS = List.of(
      ConfigKey.required("model_name_or_path", KeyType.STRING, "Hugging Face checkpoint directory (the base)"),
      ConfigKey.of("adapter_name_or_path", KeyType.STRING, "",
          "start from this PEFT LoRA adapter (e.g. the SFT one); the reference is then a frozen copy of it (TRL's 'ref' adapter)"),
      ConfigKey.of("ref_model", KeyType.STRING, "", "a separate reference checkpoint (default: the base with adapters off, or the starting adapter)"),
      ConfigKey.of("finetuning_type", KeyType.choice(PrefTuning.class), PrefTuning.LORA, "lora (new or from adapter_name_or_path) or full"),
      ConfigKey.of("lora_rank", KeyType.INT, 8, "LoRA rank r").check(positive(), "> 0"),
      ConfigKey.of("lora_alpha", KeyType.DOUBLE, 16.0, "LoRA scaling numerator"),
      ConfigKey.of("lora_target", KeyType.STRING, "all", "all linear layers, or a comma list such as q_proj,v_proj"),
      ConfigKey.of("use_dora", KeyType.BOOL, false, "DoRA (weight-decomposed LoRA)"),
      ConfigKey.of("use_rslora", KeyType.BOOL, false, "rank-stabilised LoRA scaling alpha / sqrt(r)"),
      ConfigKey.of("quantization_bit", KeyType.INT, 0, "4: QLoRA (NF4 base), with finetuning_type lora")
          .check(b -> b == 0 || b == 4, "0 or 4"),
      ConfigKey.of("double_quantization", KeyType.BOOL, true, "QLoRA: quantise the NF4 block scales too"));

  private static final List<ConfigKey<?>> DATA_KEYS = List.of(
      ConfigKey.required("dataset", KeyType.STRING,
          "preference pairs (prompt/chosen/rejected as text or chat; or prompt_ids/chosen_ids/rejected_ids); KTO: prompt/completion/label"),
      ConfigKey.of("eval_dataset", KeyType.STRING, "", "held-out pairs: eval loss and rewards/* every eval_steps"),
      ConfigKey.of("template", KeyType.optionalChoice(BuiltinTemplate.class, "the tokenizer's own chat template"),
          Optional.empty(), "chat template for base models without one"),
      ConfigKey.of("cutoff_len", KeyType.INT, 1024, "TRL's max_length: longer prompt+completion rows are cut (truncation_mode), counted and reported")
          .check(n -> n >= 2, ">= 2"),
      ConfigKey.of("truncation_mode", KeyType.choice(TruncationMode.class), TruncationMode.KEEP_START,
          "keep_start (TRL's: the completion's end is lost) or prompt_first (the prompt's start goes first)"));

  private static final List<ConfigKey<?>> PREF_KEYS = List.of(
      ConfigKey.of("pref_loss", KeyType.STRING, "",
          "loss type(s), comma-separated (TRL's loss_type; \"\": the stage's own: dpo sigmoid, kto kto, orpo orpo, simpo simpo)"),
      ConfigKey.of("loss_weights", KeyType.STRING, "", "one weight per pref_loss entry, comma-separated (\"\": all 1)"),
      ConfigKey.of("pref_beta", KeyType.DOUBLE, 0.1, "beta: the reward scale (DPO's KL strength; ORPO's lambda; SimPO's beta)")
          .check(positive(), "> 0"),
      ConfigKey.of("dpo_label_smoothing", KeyType.DOUBLE, 0.0, "label smoothing eps (robust, exo_pair, aot; conservative DPO)")
          .check(e -> e >= 0 && e < 0.5, "in [0, 0.5)"),
      ConfigKey.of("ld_alpha", KeyType.STRING, "", "LD-DPO: weight of completion tokens past the shorter completion's length (\"\": off)"),
      ConfigKey.of("f_divergence_type", KeyType.STRING, "reverse_kl", "reverse_kl, forward_kl, js_divergence or alpha_divergence"),
      ConfigKey.of("f_alpha_divergence_coef", KeyType.DOUBLE, 0.5, "alpha of alpha_divergence"),
      ConfigKey.of("use_weighting", KeyType.BOOL, false, "WPO: weight each pair by its policy's length-normalised probability"),
      ConfigKey.of("discopop_tau", KeyType.DOUBLE, 0.05, "DiscoPOP's temperature").check(positive(), "> 0"),
      ConfigKey.of("reference_free", KeyType.BOOL, false, "reference-free DPO: the reference log-probs are taken as 0 (no reference forward)"),
      ConfigKey.of("simpo_gamma", KeyType.DOUBLE, 0.5, "SimPO: target reward margin"),
      ConfigKey.of("cpo_alpha", KeyType.DOUBLE, 0.0, "SimPO/CPO: weight of the chosen NLL (TRL's CPO default 1.0; pure SimPO 0)")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("kto_chosen_weight", KeyType.DOUBLE, 1.0, "KTO: weight of desirable examples").check(positive(), "> 0"),
      ConfigKey.of("kto_rejected_weight", KeyType.DOUBLE, 1.0, "KTO: weight of undesirable examples").check(positive(), "> 0"),
      ConfigKey.of("precompute_ref_log_probs", KeyType.BOOL, false,
          "compute the reference's log-probs in one pass before training and cache them on disk (keyed by data and weights)"),
      ConfigKey.of("ref_logps_cache_dir", KeyType.STRING, "", "where precomputed reference log-probs are cached (\"\": <output_dir>/ref_logps)"));

  private static final List<ConfigKey<?>> OUTPUT_KEYS = List.of(
      ConfigKey.of("output_dir", KeyType.STRING, "runs/dpo",
          "adapter/ or model/, checkpoints/, metrics.jsonl, loss.png, rewards.png, resolved_config.json"));

  /** Every key, in README order. */
  public static final RecipeSchema<DpoRecipe> SCHEMA = new RecipeSchema<>(DpoRecipe.class,
      RecipeSchema.concat(List.of(MODEL_KEYS, DATA_KEYS, PREF_KEYS, TrainingKeys.ALL, OUTPUT_KEYS)));

  /** Cross-key checks. */
  public DpoRecipe {
    if (quantizationBit == 4 && finetuningType != PrefTuning.LORA) {
      throw new IllegalArgumentException("quantization_bit 4 needs finetuning_type lora (QLoRA)");
    }
    if (finetuningType == PrefTuning.FULL && !adapterNameOrPath.isBlank()) {
      throw new IllegalArgumentException("adapter_name_or_path needs finetuning_type lora (merge it first for full training)");
    }
    if (!ldAlpha.isBlank()) {
      double a = parseNumber("ld_alpha", ldAlpha);
      if (a < 0 || a > 1) {
        throw new IllegalArgumentException("ld_alpha must be in [0, 1] or \"\", got " + ldAlpha);
      }
    }
    if (!lossWeights.isBlank()) {
      Arrays.stream(lossWeights.split(",")).forEach(w -> parseNumber("loss_weights", w.trim()));
    }
  }

  private static double parseNumber(String key, String v) {
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": '" + v + "' is not a number");
    }
  }

  /** Reads a YAML recipe and applies {@code key=value} overrides. */
  public static DpoRecipe load(Path yaml, List<String> overrides) throws IOException {
    return SCHEMA.load(yaml, overrides);
  }

  /** LD-DPO's alpha, or NaN when off. */
  public double ldAlphaValue() {
    return ldAlpha.isBlank() ? Double.NaN : Double.parseDouble(ldAlpha);
  }

  /** The loss types (the stage's own when {@code pref_loss} is empty). */
  public List<String> lossTypes(Stage stage) {
    String s = prefLoss.isBlank() ? stage.defaultLoss() : prefLoss;
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** One weight per loss type. */
  public double[] weights(Stage stage) {
    int n = lossTypes(stage).size();
    if (lossWeights.isBlank()) {
      double[] w = new double[n];
      Arrays.fill(w, 1.0);
      return w;
    }
    double[] w = Arrays.stream(lossWeights.split(",")).mapToDouble(x -> Double.parseDouble(x.trim())).toArray();
    if (w.length != n) {
      throw new IllegalArgumentException("loss_weights has " + w.length + " entries, pref_loss " + n + " (" + lossTypes(stage) + ")");
    }
    return w;
  }
}
