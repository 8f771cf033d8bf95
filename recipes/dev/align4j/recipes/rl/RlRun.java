package dev.align4j.recipes.rl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.config.ResolvedConfig;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.LrScheduleConfig;
import dev.align4j.peft.train.MetricsLog;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingCheckpoint;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.recipes.sft.SftRun;
import dev.align4j.rl.kl.AdaptiveKlController;
import dev.align4j.rl.kl.FixedKlController;
import dev.align4j.rl.kl.KlController;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.LossReduction;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.SoftGates;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.reward.RewardClip;
import dev.align4j.rl.reward.RewardFunction;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RewardModelScorer;
import dev.align4j.rl.rollout.RewardScorer;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.RolloutConfig;
import dev.align4j.rl.rollout.RolloutSampler;
import dev.align4j.rl.rollout.Scorer;
import dev.align4j.rl.train.Algorithm;
import dev.align4j.rl.train.RlLoop;
import dev.align4j.rl.train.RlLoopConfig;
import dev.align4j.rl.train.RlObjective;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The RL main: recipe in; policy adapter (and PPO's value adapter), metrics, plots and resolved config
 * out. One base model in memory: the policy is a LoRA adapter (a trainable copy of the SFT adapter
 * when one is given), the reference is the frozen SFT adapter (or the bare base), PPO's critic is a
 * further LoRA adapter with a score head, on top of the reference adapter.
 */
public final class RlRun {
  /** Which estimator a command runs. */
  public enum Kind { PPO, GRPO, RLOO }

  /** What a run produced. */
  public record Summary(RlLoop.Result result, Path outputDir, long baseRssMib, long peakRssMib) {}

  private RlRun() {}

  /** Runs a recipe on {@code device}; a directory holding a checkpoint resumes it. */
  public static Summary run(Kind kind, RlRecipe r, Device device) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    Path out = Path.of(r.outputDir());
    Files.createDirectories(out);
    AtomicFiles.recoverDirectories(out);
    writeResolved(kind, r, out);
    Algorithm alg = algorithm(kind, r);
    try (StopSignal.Region graceful = StopSignal.graceful();
        NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(modelDir, r.precision(), r.attention(), m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      CausalLM model = pm.model();
      model.config().requireVocabCovers(tok.vocabSize(), modelDir);
      long baseRss = MetricsLog.rssMib();
      System.err.printf("align4j %s: base model loaded (%,d parameters), RSS %d MiB%n",
          kind.name().toLowerCase(Locale.ROOT), model.config().parameterCount(), baseRss);
      ChatTemplate template = r.template().map(t -> t.template(tok.specialTokens()))
          .orElseGet(() -> tok.chatTemplate().orElse(null));
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      List<RlPrompt> train = PromptDataset.read(Path.of(r.dataset()), tok, template);
      List<RlPrompt> eval = r.evalDataset().isBlank() ? List.of() : PromptDataset.read(Path.of(r.evalDataset()), tok, template);
      System.err.printf("align4j %s: %d prompts (%d held out)%n", kind.name().toLowerCase(Locale.ROOT),
          train.size(), eval.size());

      PeftModel peft = new PeftModel(model);
      List<String> targets = LoraConfig.recipeTargets(r.loraTarget());
      LoraConfig fresh = new LoraConfig(r.loraRank(), r.loraAlpha(), 0.0, targets, LoraInit.KAIMING_UNIFORM, false,
          false, List.of());
      String reference = null;
      if (r.adapterNameOrPath().isBlank()) {
        peft.addLora("policy", fresh, r.seed());
      } else {
        Path sft = Path.of(r.adapterNameOrPath());
        PeftAdapterFiles.load(peft, sft, "reference");
        PeftAdapterFiles.load(peft, sft, "policy");
        reference = "reference";
      }
      addTargets(peft, r.additionalTarget(), r.additionalTargetLearningRate() / r.learningRate());
      String value = null;
      if (alg.needsCritic()) {
        peft.addLora("value", fresh, r.seed() + 1);
        peft.addScoreHead("value", 1, r.seed() + 2);
        value = "value";
      }
      // the reward model is one more adapter with a score head on the same base (loaded before the
      // trainable set is chosen: loading makes an adapter active)
      Scorer rm = r.rewardModel().isBlank() ? null : RewardModelScorer.load(peft, Path.of(r.rewardModel()), "reward",
          pad, r.normalizeReward(), Math.max(r.perDeviceTrainBatchSize(), 8));
      if (value != null) {
        peft.setTrainable("policy", "value");
      } else {
        peft.setTrainable("policy");
      }
      peft.state().setTraining(true);
      PolicyRoles roles = new PolicyRoles(peft, "policy", reference, value);

      List<RewardFunction> fns = NamedRewards.resolve(r.reward());
      Scorer scorer = new RewardScorer(fns, NamedRewards.weights(r.rewardWeights(), fns.size()), rm);
      Function<long[], String> decode = ids -> tok.decode(ids, true);
      RolloutConfig rc = new RolloutConfig(alg.numGenerations(), r.maxCompletionLength(), r.temperature(), r.topK(),
          r.topP(), Math.max(r.perDeviceTrainBatchSize(), 8), tok.eosIds(), pad);
      RolloutSampler sampler = new RolloutSampler(roles, rc, scorer, decode);
      RlObjective objective = new RlObjective(roles, alg, r.temperature(), pad);
      KlController kl = r.klTarget() > 0 ? new AdaptiveKlController(r.klCoef(), r.klTarget(), r.klHorizon())
          : new FixedKlController(alg instanceof Algorithm.Ppo ? r.klCoef() : 0.0);
      RlLoopConfig lc = loopConfig(r, alg, kl);
      // gradient_checkpointing: the objective checkpoints each of its forwards (policy, value) itself
      objective.setActivationCheckpointing(r.gradientCheckpointing());
      TrainerConfig tc = TrainingKeys.trainerConfig(RlRecipe.SCHEMA, r, pad).withActivationCheckpointing(false);
      LrScheduleConfig schedule = TrainingKeys.schedule(RlRecipe.SCHEMA, r);
      Trainer trainer = new Trainer(model, peft.trainableParameters(), tc, schedule::lrAt, out.resolve("checkpoints"));
      RlLoop loop = new RlLoop(trainer, objective, sampler, alg, lc, out);
      if (!eval.isEmpty()) {
        loop.withEvaluation(roles, eval, scorer, r.evalSteps(), decode);
      }
      RlLoop.Result res = loop.run(train);
      if (res.stopped()) {
        System.err.printf("align4j: stopped by %s; checkpoint in %s; rerun the same command to resume%n",
            StopSignal.signalName(), out.resolve("checkpoints"));
        return new Summary(res, out, baseRss, MetricsLog.peakRssMib());
      }
      AtomicFiles.replaceDirectory(out.resolve("adapter"), dir -> PeftAdapterFiles.save(peft, "policy", dir, r.modelNameOrPath()));
      if (value != null) {
        AtomicFiles.replaceDirectory(out.resolve("value_adapter"),
            dir -> PeftAdapterFiles.save(peft, "value", dir, r.modelNameOrPath()));
      }
      return new Summary(res, out, baseRss, MetricsLog.peakRssMib());
    }
  }

  /**
   * Writes {@code resolved_config.json} as the other stages do: when {@code out} holds a checkpoint this
   * run will resume, the recipe must match the one that made it (the engine's rule: max_steps,
   * save_steps and eval_steps may change; {@code allow_config_change=true} accepts other changes except
   * those the checkpoint fixes, {@link RlRecipe#FIXED_BY_CHECKPOINT} included, and records them), and so
   * must the algorithm (a GRPO checkpoint is no PPO run, even when allowed).
   */
  static void writeResolved(Kind kind, RlRecipe r, Path out) throws IOException {
    String algorithm = kind.name().toLowerCase(Locale.ROOT);
    Optional<Path> resume = TrainingCheckpoint.latest(out.resolve("checkpoints"));
    Optional<ObjectNode> previous = ResolvedConfig.read(out);
    if (resume.isPresent() && previous.isPresent()) {
      String before = previous.get().path("provenance").path("algorithm").asText(algorithm);
      if (!before.equals(algorithm)) {
        throw new IllegalArgumentException(out.resolve(ResolvedConfig.FILE) + ": the run in this output_dir (resumable at "
            + resume.get().getFileName() + ") is an align4j " + before + " run; align4j " + algorithm
            + " cannot resume it, even with allow_config_change. Use a fresh output_dir.");
      }
    }
    Map<String, String> data = new LinkedHashMap<>();
    data.put("dataset", r.dataset());
    if (!r.evalDataset().isBlank()) {
      data.put("eval_dataset", r.evalDataset());
    }
    ObjectNode prov = new ObjectMapper().createObjectNode();
    prov.put("algorithm", algorithm);
    SftRun.writeResolved(RlRecipe.SCHEMA, r, data, r.seed(), r.allowConfigChange(), out, prov, RlRecipe.FIXED_BY_CHECKPOINT);
  }

  /**
   * The rollout-and-update schedule of a recipe. With {@code gradient_accumulation_steps > 1} each
   * optimizer step takes that many micro-batches of {@code per_device_train_batch_size} rows (TRL's
   * effective batch), so the rows of a rollout ({@code prompts_per_rollout * num_generations}) must be a
   * multiple of it and {@code num_mini_batches}, if set, must agree.
   */
  static RlLoopConfig loopConfig(RlRecipe r, Algorithm alg, KlController kl) {
    int ga = r.gradientAccumulationSteps();
    if (ga > 1) {
      int rows = r.promptsPerRollout() * alg.numGenerations();
      int step = r.perDeviceTrainBatchSize() * ga;
      if (rows % step != 0) {
        throw new IllegalArgumentException("gradient_accumulation_steps=" + ga + ": each optimizer step takes "
            + "per_device_train_batch_size x gradient_accumulation_steps = " + step + " rows, which must divide the "
            + rows + " rows of a rollout (prompts_per_rollout " + r.promptsPerRollout() + " x num_generations "
            + alg.numGenerations() + ")");
      }
      if (r.numMiniBatches() != 1 && r.numMiniBatches() != rows / step) {
        throw new IllegalArgumentException("num_mini_batches=" + r.numMiniBatches() + " disagrees with gradient_accumulation_steps="
            + ga + ": " + rows + " rows per rollout in steps of per_device_train_batch_size x gradient_accumulation_steps = "
            + step + " rows make " + rows / step + " steps per pass; leave num_mini_batches at 1 or set it to " + rows / step);
      }
    }
    return new RlLoopConfig(r.promptsPerRollout(), r.numIterations(), r.numMiniBatches(), r.perDeviceTrainBatchSize(), kl,
        r.missingEosPenalty(), r.klStop() > 0 ? r.klStop() : Double.NaN, r.saveSteps(), r.seed(), ga);
  }

  /** The estimator and its options from the recipe. */
  static Algorithm algorithm(Kind kind, RlRecipe r) {
    double high = r.epsilonHigh() > 0 ? r.epsilonHigh() : r.epsilon();
    RewardClip clip = r.rewardClip() > 0 ? new RewardClip(-r.rewardClip(), r.rewardClip()) : null;
    return switch (kind) {
      case GRPO -> new Algorithm.Grpo(r.numGenerations(), r.scaleRewards(), new GrpoLossConfig(r.lossType(), r.epsilon(),
          high, null, r.beta(), true, r.importanceSamplingLevel(), r.maxCompletionLength(),
          new SoftGates(r.sapoTemperaturePos(), r.sapoTemperatureNeg(), r.vespoKPos(), r.vespoLambdaPos(), r.vespoKNeg(),
              r.vespoLambdaNeg())));
      case RLOO -> new Algorithm.Rloo(r.numGenerations(), r.beta(), clip, r.normalizeAdvantages(), r.epsilon(), high);
      case PPO -> new Algorithm.Ppo(r.advantageEstimator(), r.advantageEstimator().grouped() ? r.numGenerations() : 1,
          r.gamma(), r.lam(), r.klEstimator(), clip,
          new PolicyLossConfig(r.epsilon(), high, null, LossReduction.TOKEN_MEAN, false),
          new ValueLoss.Config(r.cliprangeValue() > 0 ? r.cliprangeValue() : null, LossReduction.TOKEN_MEAN), r.vfCoef(),
          r.criticWarmupSteps());
    };
  }

  /**
   * The recipe's {@code additional_target}: modules_to_save copies owned by the policy alone, each with
   * the learning rate {@code lrScale} times the recipe's (1 when {@code additional_target_learning_rate} is 0).
   */
  static void addTargets(PeftModel peft, String additionalTarget, double lrScale) {
    if (additionalTarget.isBlank()) {
      return;
    }
    try {
      peft.addModulesToSave("policy", Arrays.stream(additionalTarget.split(",")).map(String::trim).toList());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("additional_target: " + e.getMessage(), e);
    }
    if (lrScale > 0) {
      peft.savedModuleParameters("policy").forEach(p -> p.setLrScale(lrScale));
    }
  }
}
