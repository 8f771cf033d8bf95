package dev.align4j.recipes.pipeline;

import dev.align4j.recipes.dpo.Stage;
import dev.align4j.recipes.rl.RlRun;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a pipeline stage runs; each kind has one {@link StageDriver} (its recipe keys, outputs and run). */
public enum StageKind {
  /** The demo's synthetic incident task: SFT data through the data tooling, pre-training text, preference pairs. */
  INCIDENT_DATA(new DataStages.IncidentData()),
  /** A tiny random-weight model with a character tokenizer over the characters of SFT data files. */
  CHAR_MODEL(new DataStages.CharModel()),
  /** Continued pre-training (the SFT recipe on {@code {"text": ...}} lines). */
  PT(new TrainingStages.Sft("pt")),
  /** Supervised fine-tuning. */
  SFT(new TrainingStages.Sft("sft")),
  /** Reward modelling on preference pairs. */
  RM(new TrainingStages.Rm()),
  /** Direct preference optimisation. */
  DPO(new TrainingStages.Pref(Stage.DPO)),
  /** Kahneman-Tversky optimisation. */
  KTO(new TrainingStages.Pref(Stage.KTO)),
  /** Odds-ratio preference optimisation. */
  ORPO(new TrainingStages.Pref(Stage.ORPO)),
  /** SimPO / CPO. */
  SIMPO(new TrainingStages.Pref(Stage.SIMPO)),
  /** PPO with a critic (or a critic-free estimator). */
  PPO(new TrainingStages.Rl(RlRun.Kind.PPO)),
  /** GRPO. */
  GRPO(new TrainingStages.Rl(RlRun.Kind.GRPO)),
  /** RLOO. */
  RLOO(new TrainingStages.Rl(RlRun.Kind.RLOO)),
  /** Held-out evaluation of several policies on one base: judge score, reward-model score, KL to a reference. */
  EVAL(new EvalStage());

  private final StageDriver<?> driver;

  StageKind(StageDriver<?> driver) {
    this.driver = driver;
  }

  /** The name in a pipeline recipe ({@code incident_data}, {@code sft}, ...). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** How this kind is configured and run. */
  public StageDriver<?> driver() {
    return driver;
  }

  /** The kind called {@code id}, or an error listing the valid ones. */
  public static StageKind of(String id) {
    for (StageKind k : values()) {
      if (k.id().equals(id)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown kind '" + id + "' (valid: " + choices() + ")");
  }

  /** Every kind's name, comma-separated. */
  public static String choices() {
    return Arrays.stream(values()).map(StageKind::id).collect(Collectors.joining(", "));
  }
}
