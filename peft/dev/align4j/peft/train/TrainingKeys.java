package dev.align4j.peft.train;

import static dev.align4j.peft.config.ConfigKey.nonNegative;
import static dev.align4j.peft.config.ConfigKey.positive;

import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.MasterWeights;
import dev.align4j.peft.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The recipe keys of the training engine, shared by every stage's recipe (SFT, reward modelling,
 * DPO, PPO), with transformers'/LLaMA-Factory's names and align4j's defaults. A stage recipe lists
 * these next to its own keys in one {@link dev.align4j.peft.config.RecipeSchema}.
 */
public final class TrainingKeys {
  private TrainingKeys() {}

  /** Compute precision. */
  public static final ConfigKey<Precision> PRECISION = ConfigKey.of("precision",
      KeyType.choice(Precision.class, Map.of("fp32", Precision.FLOAT32, "f32", Precision.FLOAT32, "fp64",
          Precision.FLOAT64, "f64", Precision.FLOAT64, "double", Precision.FLOAT64, "bf16", Precision.BFLOAT16)),
      Precision.FLOAT32, "bfloat16: frozen base in bf16 with float32 masters; float64 for gradient checks");
  /**
   * Master weights under bfloat16: float32 (mixed precision) or none (pure bfloat16). Read by the
   * stages that list it (SFT and continued pre-training); the default keeps every run as it was.
   */
  public static final ConfigKey<MasterWeights> MASTER_WEIGHTS = ConfigKey.of("master_weights",
      KeyType.choice(MasterWeights.class), MasterWeights.FLOAT32,
      "with precision bfloat16: float32 keeps float32 masters, gradients and AdamW moments (mixed precision); none "
          + "trains the bf16 weights themselves, gradients and AdamW moments in bf16 (as model.to(torch.bfloat16) "
          + "+ torch AdamW: half the memory, updates rounded to bf16)");
  /** Attention implementation. */
  public static final ConfigKey<AttentionImpl> ATTENTION = ConfigKey.of("attention", KeyType.choice(AttentionImpl.class),
      AttentionImpl.COMPOSED, "composed (plain ops) or fused (scaled_dot_product_attention)");
  /** Examples per forward/backward. */
  public static final ConfigKey<Integer> BATCH_SIZE = ConfigKey.of("per_device_train_batch_size", KeyType.INT, 4,
      "examples per forward/backward").check(positive(), "> 0");
  /** Micro-batches per optimizer step. */
  public static final ConfigKey<Integer> GRAD_ACCUM = ConfigKey.of("gradient_accumulation_steps", KeyType.INT, 1,
      "micro-batches per optimizer step; the loss is normalised over the whole effective batch (exact)")
      .check(positive(), "> 0");
  /** Peak learning rate. */
  public static final ConfigKey<Double> LEARNING_RATE = ConfigKey.of("learning_rate", KeyType.DOUBLE, 1e-4,
      "peak learning rate (AdamW)").check(nonNegative(), ">= 0");
  /** Schedule. */
  public static final ConfigKey<ScheduleType> LR_SCHEDULER = ConfigKey.of("lr_scheduler_type",
      KeyType.choice(ScheduleType.class), ScheduleType.COSINE, "learning-rate schedule after warm-up (transformers' get_scheduler)");
  /** Warm-up. */
  public static final ConfigKey<Long> WARMUP_STEPS = ConfigKey.of("warmup_steps", KeyType.LONG, 0L,
      "linear warm-up steps").check(nonNegative(), ">= 0");
  /** Steps to reach. */
  public static final ConfigKey<Long> MAX_STEPS = ConfigKey.of("max_steps", KeyType.LONG, 100L,
      "optimizer steps; may grow when a finished run is resumed").check(positive(), "> 0");
  /** Clipping. */
  public static final ConfigKey<Double> MAX_GRAD_NORM = ConfigKey.of("max_grad_norm", KeyType.DOUBLE, 1.0,
      "global gradient-norm clipping; 0 disables").check(nonNegative(), ">= 0");
  /** Decoupled weight decay. */
  public static final ConfigKey<Double> WEIGHT_DECAY = ConfigKey.of("weight_decay", KeyType.DOUBLE, 0.0,
      "AdamW decoupled weight decay").check(nonNegative(), ">= 0");
  /** Seed. */
  public static final ConfigKey<Long> SEED = ConfigKey.of("seed", KeyType.LONG, 42L,
      "data order, initialisation and dropout");
  /** Checkpoint cadence. */
  public static final ConfigKey<Long> SAVE_STEPS = ConfigKey.of("save_steps", KeyType.LONG, 0L,
      "atomic resumable checkpoint every N steps (0: at the end only); a rerun resumes bit for bit")
      .check(nonNegative(), ">= 0");
  /** Evaluation cadence. */
  public static final ConfigKey<Long> EVAL_STEPS = ConfigKey.of("eval_steps", KeyType.LONG, 0L,
      "evaluate every N steps (0: never); logged to metrics.jsonl").check(nonNegative(), ">= 0");
  /** Activation checkpointing. */
  public static final ConfigKey<Boolean> GRADIENT_CHECKPOINTING = ConfigKey.of("gradient_checkpointing", KeyType.BOOL,
      false, "recompute each decoder layer in backward: same gradients, less memory");
  /** Early stopping patience. */
  public static final ConfigKey<Integer> EARLY_STOPPING_PATIENCE = ConfigKey.of("early_stopping_patience", KeyType.INT, 0,
      "> 0: stop after N evaluations without improvement; best weights in best/").check(nonNegative(), ">= 0");
  /** Early stopping threshold. */
  public static final ConfigKey<Double> EARLY_STOPPING_THRESHOLD = ConfigKey.of("early_stopping_threshold",
      KeyType.DOUBLE, 0.0, "an eval-loss improvement smaller than this does not count").check(nonNegative(), ">= 0");
  /** Resuming with changed hyper-parameters. */
  public static final ConfigKey<Boolean> ALLOW_CONFIG_CHANGE = ConfigKey.of("allow_config_change", KeyType.BOOL, false,
      "resume an output_dir whose run used other values (recorded in resolved_config.json's provenance)");

  /**
   * The trainer's configuration from any stage's recipe that has these keys: AdamW's betas and
   * epsilon at transformers' defaults, the last two checkpoints kept.
   */
  public static <R extends Record> TrainerConfig trainerConfig(RecipeSchema<R> schema, R recipe, long padId) {
    return new TrainerConfig(schema.get(recipe, MAX_STEPS), schema.get(recipe, BATCH_SIZE), schema.get(recipe, GRAD_ACCUM),
        schema.get(recipe, MAX_GRAD_NORM), 0.9, 0.999, 1e-8, schema.get(recipe, WEIGHT_DECAY),
        schema.get(recipe, SAVE_STEPS), 2, schema.get(recipe, SEED), padId, schema.get(recipe, GRADIENT_CHECKPOINTING));
  }

  /** The learning-rate schedule of a recipe (over max_steps). */
  public static <R extends Record> LrScheduleConfig schedule(RecipeSchema<R> schema, R recipe) {
    return LrScheduleConfig.of(schema.get(recipe, LR_SCHEDULER), schema.get(recipe, LEARNING_RATE),
        schema.get(recipe, WARMUP_STEPS), schema.get(recipe, MAX_STEPS));
  }

  /** Early stopping as a recipe sets it. */
  public static <R extends Record> EarlyStopping earlyStopping(RecipeSchema<R> schema, R recipe) {
    return new EarlyStopping(schema.get(recipe, EARLY_STOPPING_PATIENCE), schema.get(recipe, EARLY_STOPPING_THRESHOLD));
  }

  /** The keys above in README order. */
  public static final List<ConfigKey<?>> ALL = List.of(PRECISION, ATTENTION, BATCH_SIZE, GRAD_ACCUM, LEARNING_RATE,
      LR_SCHEDULER, WARMUP_STEPS, MAX_STEPS, MAX_GRAD_NORM, WEIGHT_DECAY, SEED, SAVE_STEPS, EVAL_STEPS,
      GRADIENT_CHECKPOINTING, EARLY_STOPPING_PATIENCE, EARLY_STOPPING_THRESHOLD, ALLOW_CONFIG_CHANGE);

  /**
   * {@link #ALL} with {@link #MASTER_WEIGHTS} after {@link #PRECISION}: the training keys of a stage
   * that trains without masters when asked (SFT and continued pre-training).
   */
  public static List<ConfigKey<?>> allWithMasterWeights() {
    List<ConfigKey<?>> out = new ArrayList<>(ALL);
    out.add(out.indexOf(PRECISION) + 1, MASTER_WEIGHTS);
    return List.copyOf(out);
  }

  /**
   * Keys a resumed run may change without {@link #ALLOW_CONFIG_CHANGE}: the step budget and the
   * checkpoint/evaluation cadence (the trainer's own resume check allows the same).
   */
  public static final Set<String> MAY_CHANGE_ON_RESUME = Set.of(MAX_STEPS.name(), SAVE_STEPS.name(),
      EVAL_STEPS.name(), ALLOW_CONFIG_CHANGE.name());

  /**
   * Keys a checkpoint fixes even with {@link #ALLOW_CONFIG_CHANGE}: they decide which examples each
   * step reads and how its update is formed, so the trainer refuses to resume with others.
   */
  public static final Set<String> FIXED_BY_CHECKPOINT = Set.of(BATCH_SIZE.name(), GRAD_ACCUM.name(),
      MAX_GRAD_NORM.name(), WEIGHT_DECAY.name(), SEED.name(), GRADIENT_CHECKPOINTING.name(), MASTER_WEIGHTS.name());
}
