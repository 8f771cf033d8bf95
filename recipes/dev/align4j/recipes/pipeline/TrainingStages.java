package dev.align4j.recipes.pipeline;

import ai.djl.Device;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.recipes.dpo.DpoRecipe;
import dev.align4j.recipes.dpo.DpoRun;
import dev.align4j.recipes.dpo.PrefTuning;
import dev.align4j.recipes.dpo.Stage;
import dev.align4j.recipes.rl.RlRecipe;
import dev.align4j.recipes.rl.RlRun;
import dev.align4j.recipes.rm.RmRecipe;
import dev.align4j.recipes.rm.RmRun;
import dev.align4j.recipes.sft.FinetuningType;
import dev.align4j.recipes.sft.SftRecipe;
import dev.align4j.recipes.sft.SftRun;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The training stages, each through its existing run class (which resumes from its own checkpoints). */
final class TrainingStages {
  private TrainingStages() {}

  /** First and last training loss and the step count. */
  private static Map<String, Double> losses(List<StepMetrics> steps) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (!steps.isEmpty()) {
      m.put("steps", (double) steps.get(steps.size() - 1).step());
      m.put("loss_first", steps.get(0).loss());
      m.put("loss_last", steps.get(steps.size() - 1).loss());
    }
    return m;
  }

  /** {@code pt} and {@code sft}: {@link SftRun}. */
  static final class Sft implements StageDriver<SftRecipe> {
    private final String command;

    Sft(String command) {
      this.command = command;
    }

    @Override
    public RecipeSchema<SftRecipe> schema() {
      return SftRecipe.SCHEMA;
    }

    @Override
    public Map<String, String> outputs(SftRecipe r) {
      boolean adapter = r.finetuningType() != FinetuningType.FULL && r.finetuningType() != FinetuningType.FREEZE;
      Map<String, String> out = StageDriver.under(r.outputDir(), adapter ? "adapter" : "model");
      if (adapter && r.merge() && r.quantizationBit() == 0) {
        out.putAll(StageDriver.under(r.outputDir(), "merged"));
      }
      out.put("base", r.modelNameOrPath());
      return out;
    }

    @Override
    public Outcome run(SftRecipe r, Device device) throws IOException {
      SftRun.Summary s = SftRun.run(r, device);
      if (s.stopped()) {
        return Outcome.stop();
      }
      Map<String, Double> m = losses(s.result().steps());
      List<double[]> evals = s.result().evals();
      if (!evals.isEmpty()) {
        m.put("eval_loss", evals.get(evals.size() - 1)[1]);
      }
      m.put("tokens_per_second", s.result().steps().stream().mapToDouble(StepMetrics::tokensPerSecond).average().orElse(0));
      return new Outcome(false, m);
    }

    @Override
    public String toString() {
      return command;
    }
  }

  /** {@code rm}: {@link RmRun}. */
  static final class Rm implements StageDriver<RmRecipe> {
    @Override
    public RecipeSchema<RmRecipe> schema() {
      return RmRecipe.SCHEMA;
    }

    @Override
    public Map<String, String> outputs(RmRecipe r) {
      Map<String, String> out = StageDriver.under(r.outputDir(), r.finetuningType() == FinetuningType.LORA ? "adapter" : "model");
      out.put("base", r.modelNameOrPath());
      return out;
    }

    @Override
    public Outcome run(RmRecipe r, Device device) throws IOException {
      RmRun.Summary s = RmRun.run(r, device);
      if (s.stopped()) {
        return Outcome.stop();
      }
      Map<String, Double> m = losses(s.result().steps());
      if (!Double.isNaN(s.evalAccuracy())) {
        m.put("eval_accuracy", s.evalAccuracy());
      }
      m.put("reward_mean", s.stats().mean());
      m.put("reward_std", s.stats().std());
      return new Outcome(false, m);
    }
  }

  /** {@code dpo}, {@code kto}, {@code orpo}, {@code simpo}: {@link DpoRun}. */
  static final class Pref implements StageDriver<DpoRecipe> {
    private final Stage stage;

    Pref(Stage stage) {
      this.stage = stage;
    }

    @Override
    public RecipeSchema<DpoRecipe> schema() {
      return DpoRecipe.SCHEMA;
    }

    @Override
    public Map<String, String> outputs(DpoRecipe r) {
      Map<String, String> out = StageDriver.under(r.outputDir(), r.finetuningType() == PrefTuning.FULL ? "model" : "adapter");
      out.put("base", r.modelNameOrPath());
      return out;
    }

    @Override
    public Outcome run(DpoRecipe r, Device device) throws IOException {
      DpoRun.Summary s = DpoRun.run(stage, r, device);
      if (s.stopped()) {
        return Outcome.stop();
      }
      List<StepMetrics> steps = s.result().steps();
      Map<String, Double> m = losses(steps);
      if (!steps.isEmpty()) {
        Map<String, Double> last = steps.get(steps.size() - 1).metrics();
        for (String k : List.of("rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected")) {
          if (last.containsKey(k)) {
            m.put(k, last.get(k));
          }
        }
      }
      return new Outcome(false, m);
    }
  }

  /** {@code ppo}, {@code grpo}, {@code rloo}: {@link RlRun}. */
  static final class Rl implements StageDriver<RlRecipe> {
    private final RlRun.Kind kind;

    Rl(RlRun.Kind kind) {
      this.kind = kind;
    }

    @Override
    public RecipeSchema<RlRecipe> schema() {
      return RlRecipe.SCHEMA;
    }

    @Override
    public Map<String, String> outputs(RlRecipe r) {
      Map<String, String> out = kind == RlRun.Kind.PPO && r.advantageEstimator().needsCritic()
          ? StageDriver.under(r.outputDir(), "adapter", "value_adapter") : StageDriver.under(r.outputDir(), "adapter");
      out.put("base", r.modelNameOrPath());
      return out;
    }

    @Override
    public Outcome run(RlRecipe r, Device device) throws IOException {
      RlRun.Summary s = RlRun.run(kind, r, device);
      if (s.result().stopped()) {
        return Outcome.stop();
      }
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("steps", (double) s.result().steps().size());
      List<Map<String, Double>> rollouts = s.result().rollouts();
      if (!rollouts.isEmpty()) {
        m.put("rollouts", (double) rollouts.size());
        m.put("reward_first", rollouts.get(0).get("objective/scores"));
        m.put("reward_last", rollouts.get(rollouts.size() - 1).get("objective/scores"));
        m.put("kl_first", rollouts.get(0).get("objective/kl"));
        m.put("kl_last", rollouts.get(rollouts.size() - 1).get("objective/kl"));
      }
      List<double[]> evals = s.result().evals();
      if (!evals.isEmpty()) {
        m.put("eval_score_first", evals.get(0)[1]);
        m.put("eval_score_last", evals.get(evals.size() - 1)[1]);
      }
      return new Outcome(false, m);
    }
  }
}
