package dev.align4j.recipes.rl;

import static dev.align4j.peft.config.ConfigKey.nonNegative;
import static dev.align4j.peft.config.ConfigKey.positive;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.rl.advantage.AdvantageEstimator;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.ImportanceSamplingLevel;
import dev.align4j.rl.loss.LossAggregation;
import dev.align4j.sft.BuiltinTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A recipe of {@code align4j ppo|grpo|rloo}: TRL's names where TRL has the key (GRPO, RLOO), OpenRLHF's
 * meaning for PPO's, the engine's training keys. Keys an algorithm does not use are ignored by it.
 */
public record RlRecipe(
    String modelNameOrPath, String adapterNameOrPath, String dataset, String evalDataset,
    Optional<BuiltinTemplate> template, String reward, String rewardWeights, String rewardModel,
    boolean normalizeReward, double missingEosPenalty, double rewardClip, int numGenerations, int maxCompletionLength, double temperature,
    int topK, double topP, int promptsPerRollout, int numIterations, int numMiniBatches, double beta, double epsilon,
    double epsilonHigh, LossAggregation lossType, ImportanceSamplingLevel importanceSamplingLevel,
    double sapoTemperaturePos, double sapoTemperatureNeg, double vespoKPos, double vespoLambdaPos, double vespoKNeg,
    double vespoLambdaNeg, ScaleRewards scaleRewards, boolean normalizeAdvantages, AdvantageEstimator advantageEstimator,
    double gamma, double lam, double klCoef, KlEstimator klEstimator, double klTarget, double klHorizon, double cliprangeValue,
    double vfCoef, int criticWarmupSteps, double klStop, int loraRank, double loraAlpha, String loraTarget,
    String additionalTarget, double additionalTargetLearningRate,
    Precision precision, AttentionImpl attention, int perDeviceTrainBatchSize, int gradientAccumulationSteps,
    double learningRate, ScheduleType lrSchedulerType, long warmupSteps, long maxSteps, double maxGradNorm,
    double weightDecay, long seed, long saveSteps, long evalSteps, boolean gradientCheckpointing,
    int earlyStoppingPatience, double earlyStoppingThreshold, boolean allowConfigChange, String outputDir) {

  private static final List<ConfigKey<?>> MODEL = List.of(
      ConfigKey.required("model_name_or_path", KeyType.STRING, "Hugging Face checkpoint directory (the base)"),
      ConfigKey.of("adapter_name_or_path", KeyType.STRING, "",
          "the SFT LoRA adapter (PEFT format): the starting policy and, frozen, the reference; \"\": a fresh LoRA policy, the base as reference"),
      ConfigKey.required("dataset", KeyType.STRING,
          "prompts: {\"prompt\": text or messages, ...} or SFT data (alpaca, sharegpt, openai; the last assistant turn becomes the field reference)"),
      ConfigKey.of("eval_dataset", KeyType.STRING, "", "held-out prompts: greedy completions scored at eval_steps and at the end"),
      ConfigKey.of("template", KeyType.optionalChoice(BuiltinTemplate.class, "the tokenizer's own chat template"),
          Optional.empty(), "chat template for base models without one"));

  private static final List<ConfigKey<?>> REWARD = List.of(
      ConfigKey.of("reward", KeyType.STRING, "", "named Java reward functions, comma-separated (" + NamedRewards.names() + ")"),
      ConfigKey.of("reward_weights", KeyType.STRING, "", "weights of the reward functions, comma-separated (default all 1)"),
      ConfigKey.of("reward_model", KeyType.STRING, "", "a reward model directory (align4j rm output); added to the Java rewards with weight 1"),
      ConfigKey.of("normalize_reward", KeyType.BOOL, false, "reward model scores become (r - mean) / std with the statistics align4j rm stored"),
      ConfigKey.of("missing_eos_penalty", KeyType.DOUBLE, 0.0, "subtracted from the score of a completion without EOS")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("reward_clip", KeyType.DOUBLE, 10.0, "PPO/RLOO: scores clipped to +/- this (OpenRLHF 10); 0: none")
          .check(nonNegative(), ">= 0"));

  private static final List<ConfigKey<?>> ROLLOUT = List.of(
      ConfigKey.of("num_generations", KeyType.INT, 4, "GRPO/RLOO: completions per prompt (a group); PPO: 1").check(positive(), "> 0"),
      ConfigKey.of("max_completion_length", KeyType.INT, 64, "longest completion in tokens").check(positive(), "> 0"),
      ConfigKey.of("temperature", KeyType.DOUBLE, 1.0, "sampling temperature; log-probs are of logits / temperature")
          .check(t -> t > 0, "> 0"),
      ConfigKey.of("top_k", KeyType.INT, 0, "top-k sampling filter; 0: off").check(nonNegative(), ">= 0"),
      ConfigKey.of("top_p", KeyType.DOUBLE, 1.0, "top-p sampling filter; 1: off").check(p -> p > 0 && p <= 1, "in (0, 1]"),
      ConfigKey.of("prompts_per_rollout", KeyType.INT, 8, "prompts sampled per rollout batch").check(positive(), "> 0"),
      ConfigKey.of("num_iterations", KeyType.INT, 1, "passes over each rollout batch (PPO's ppo_epochs)").check(positive(), "> 0"),
      ConfigKey.of("num_mini_batches", KeyType.INT, 1, "optimizer steps per pass: the rollout's rows are shuffled and split"
          + " (gradient_accumulation_steps > 1: steps of per_device_train_batch_size x gradient_accumulation_steps rows instead)")
          .check(positive(), "> 0"));

  private static final List<ConfigKey<?>> LOSS = List.of(
      ConfigKey.of("beta", KeyType.DOUBLE, 0.0, "GRPO: k3 KL coefficient in the loss; RLOO: k1 KL taken off the reward (TRL 0.05)")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("epsilon", KeyType.DOUBLE, 0.2, "ratio clip (PPO cliprange)").check(positive(), "> 0"),
      ConfigKey.of("epsilon_high", KeyType.DOUBLE, 0.0,
          "upper ratio clip; 0: same as epsilon (DAPO: 0.28); GRPO cispo: the cap on the ratio itself (ScaleRL: 5.0)")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("loss_type", KeyType.choice(LossAggregation.class), LossAggregation.DAPO,
          "GRPO loss (TRL's loss_type): grpo, bnpo, dr_grpo, dapo (clipped ratio, four aggregations), cispo, sapo, luspo, vespo"),
      ConfigKey.of("importance_sampling_level", KeyType.choice(ImportanceSamplingLevel.class), ImportanceSamplingLevel.TOKEN,
          "GRPO: token ratios, or one ratio per sequence (GSPO; luspo wants sequence)"),
      ConfigKey.of("sapo_temperature_pos", KeyType.DOUBLE, 1.0, "GRPO sapo: gate temperature where the advantage is > 0")
          .check(positive(), "> 0"),
      ConfigKey.of("sapo_temperature_neg", KeyType.DOUBLE, 1.05, "GRPO sapo: gate temperature elsewhere").check(positive(), "> 0"),
      ConfigKey.of("vespo_k_pos", KeyType.DOUBLE, 2.0, "GRPO vespo: power k where the advantage is >= 0").check(nonNegative(), ">= 0"),
      ConfigKey.of("vespo_lambda_pos", KeyType.DOUBLE, 3.0, "GRPO vespo: decay lambda where the advantage is >= 0")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("vespo_k_neg", KeyType.DOUBLE, 3.0, "GRPO vespo: power k where the advantage is < 0").check(nonNegative(), ">= 0"),
      ConfigKey.of("vespo_lambda_neg", KeyType.DOUBLE, 2.0, "GRPO vespo: decay lambda where the advantage is < 0")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("scale_rewards", KeyType.choice(ScaleRewards.class), ScaleRewards.GROUP, "GRPO: reward std of the group, the batch, or none"),
      ConfigKey.of("normalize_advantages", KeyType.BOOL, false, "RLOO: normalise the advantages over the batch"),
      ConfigKey.of("advantage_estimator", KeyType.choice(AdvantageEstimator.class), AdvantageEstimator.GAE,
          "PPO: gae (critic) or a critic-free estimator: reinforce (REINFORCE++), reinforce_baseline, rloo, group_norm, dr_grpo (these use num_generations)"),
      ConfigKey.of("gamma", KeyType.DOUBLE, 1.0, "PPO: GAE discount").check(g -> g >= 0 && g <= 1, "in [0, 1]"),
      ConfigKey.of("lam", KeyType.DOUBLE, 0.95, "PPO: GAE lambda").check(g -> g >= 0 && g <= 1, "in [0, 1]"),
      ConfigKey.of("kl_coef", KeyType.DOUBLE, 0.05, "PPO: initial coefficient of the per-token KL penalty in the reward")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("kl_estimator", KeyType.choice(KlEstimator.class), KlEstimator.K1, "PPO: KL estimator of the penalty"),
      ConfigKey.of("kl_target", KeyType.DOUBLE, 0.0, "PPO: > 0 makes the KL controller adaptive, steering to this KL").check(nonNegative(), ">= 0"),
      ConfigKey.of("kl_horizon", KeyType.DOUBLE, 10000.0, "PPO: adaptive controller horizon (samples)").check(positive(), "> 0"),
      ConfigKey.of("cliprange_value", KeyType.DOUBLE, 0.2, "PPO: value clip; 0: unclipped").check(nonNegative(), ">= 0"),
      ConfigKey.of("vf_coef", KeyType.DOUBLE, 0.1, "PPO: weight of the value loss").check(nonNegative(), ">= 0"),
      ConfigKey.of("critic_warmup_steps", KeyType.INT, 0, "PPO: rollout batches during which only the critic learns")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("kl_stop", KeyType.DOUBLE, 0.0, "stop the passes over a rollout once policy/approxkl exceeds this; 0: never")
          .check(nonNegative(), ">= 0"),
      ConfigKey.of("lora_rank", KeyType.INT, 8, "rank of a fresh policy adapter and of the value adapter").check(positive(), "> 0"),
      ConfigKey.of("lora_alpha", KeyType.DOUBLE, 16.0, "LoRA alpha of the fresh adapters"),
      ConfigKey.of("lora_target", KeyType.STRING, "all", "modules of the fresh adapters: all, or a comma list"),
      ConfigKey.of("additional_target", KeyType.STRING, "",
          "modules the policy also trains in full (PEFT modules_to_save), comma-separated, on top of the SFT adapter's own;"
              + " e.g. model.norm: with tied embeddings LoRA alone cannot sharpen the logits (bench/DEMO-TUNING.md, session 5)"),
      ConfigKey.of("additional_target_learning_rate", KeyType.DOUBLE, 0.0,
          "learning rate of the additional_target copies (their own parameter group, on the same schedule; as Unsloth's"
              + " embedding_learning_rate); 0: learning_rate").check(nonNegative(), ">= 0"));

  private static final List<ConfigKey<?>> OUTPUT = List.of(
      ConfigKey.of("output_dir", KeyType.STRING, "runs/rl", "adapter/ (policy), value_adapter/ (PPO), checkpoints/, metrics.jsonl, reward.png, kl.png"));

  /**
   * RL keys a checkpoint fixes even with {@code allow_config_change}, on top of the engine's: rollout k
   * reads the prompts at positions {@code [k P, (k+1) P)} of the seeded order, so another {@code
   * prompts_per_rollout} would re-read or skip prompts after the resumed rollout count.
   */
  public static final Set<String> FIXED_BY_CHECKPOINT = Set.of("prompts_per_rollout");

  /** Every key, in README order. */
  public static final RecipeSchema<RlRecipe> SCHEMA = new RecipeSchema<>(RlRecipe.class,
      RecipeSchema.concat(List.of(MODEL, REWARD, ROLLOUT, LOSS, TrainingKeys.ALL, OUTPUT)));

  /** Cross-key checks. */
  public RlRecipe {
    if (earlyStoppingPatience != 0) {
      throw new IllegalArgumentException("early_stopping_patience: not used by RL runs; set it to 0");
    }
  }

  /** Reads a YAML recipe and applies {@code key=value} overrides. */
  public static RlRecipe load(Path yaml, List<String> overrides) throws IOException {
    return SCHEMA.load(yaml, overrides);
  }

  /** The resolved recipe as a tree. */
  public ObjectNode toJson() {
    return SCHEMA.toJson(this);
  }
}
