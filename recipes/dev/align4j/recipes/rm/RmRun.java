package dev.align4j.recipes.rm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.FreezeTuning;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.data.preference.PreferenceData;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferencePair;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.quant.QuantizedModels;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Evaluation;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.peft.train.TrainingLoop;
import dev.align4j.recipes.sft.FinetuningType;
import dev.align4j.recipes.sft.SftRun;
import dev.align4j.reward.BradleyTerry;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.reward.RewardModelFiles;
import dev.align4j.reward.RewardObjective;
import dev.align4j.reward.RewardPair;
import dev.align4j.reward.RewardStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward-modelling main: recipe in; adapter (PEFT SEQ_CLS) or model (transformers
 * {@code *ForSequenceClassification}), reward statistics, metrics, plots and resolved config out.
 */
public final class RmRun {
  /**
   * What a run produced.
   *
   * @param evalAccuracy held-out pairwise accuracy at the end (NaN without eval_dataset)
   * @param stats reward statistics stored with the model (over the eval pairs, else the training pairs)
   * @param stopped whether a SIGINT/SIGTERM stopped the run before {@code max_steps} (checkpointed; rerun resumes)
   */
  public record Summary(TrainingLoop.Result result, Path outputDir, String dataReport, double evalAccuracy,
      RewardStats stats, boolean stopped) {}

  private RmRun() {}

  /** Runs a recipe on the CPU. */
  public static Summary run(RmRecipe r) throws IOException {
    return run(r, Device.cpu());
  }

  /** Runs a recipe on {@code device}; a checkpoint in the output directory is resumed (same recipe only). */
  public static Summary run(RmRecipe r, Device device) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    Path out = Path.of(r.outputDir());
    Files.createDirectories(out);
    AtomicFiles.recoverDirectories(out);
    LinkedHashMap<String, String> data = new LinkedHashMap<>();
    data.put("dataset", r.dataset());
    if (!r.evalDataset().isBlank()) {
      data.put("eval_dataset", r.evalDataset());
    }
    Path startWeights = Path.of(r.adapterNameOrPath()).resolve(PeftAdapterFiles.WEIGHTS);
    if (!r.adapterNameOrPath().isBlank() && Files.exists(startWeights)) {
      data.put("adapter", startWeights.toString());   // its hash: a resume from another start adapter is refused
    }
    SftRun.writeResolved(RmRecipe.SCHEMA, r, data, r.seed(), r.allowConfigChange(), out);
    // the data files are parsed before the model loads: a bad record fails at once, naming file:line: field
    PreferenceParser parser = r.datasetInfo().isEmpty() ? PreferenceParser.auto() : PreferenceParser.fromDatasetInfo(r.datasetInfo());
    List<PreferencePair> trainPairs = PreferenceData.readPairs(Path.of(r.dataset()), parser);
    List<PreferencePair> evalPairs = r.evalDataset().isBlank() ? List.of() : PreferenceData.readPairs(Path.of(r.evalDataset()), parser);
    LinkedHashMap<String, NDArray> extras = new LinkedHashMap<>();
    try (StopSignal.Region graceful = StopSignal.graceful();
        NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.loadHeadless(modelDir, r.precision(), r.attention(), m, extras);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      CausalLM model = pm.model();
      model.config().requireVocabCovers(tok.vocabSize(), modelDir);
      NDArray baseScore = extras.remove(ScoreHead.MODULE + ".weight");
      requireNone(extras, modelDir);
      ChatTemplate template = r.template().map(t -> t.template(tok.specialTokens())).orElseGet(() -> tok.chatTemplate().orElse(null));
      PreferenceTokenizer ptok = new PreferenceTokenizer(tok, template);
      PreferenceOptions opts = new PreferenceOptions(r.cutoffLen(), r.overlong(), r.truncation(), false);
      Prepared<RewardEncoding> trainData = RewardData.prepare(trainPairs, ptok, opts);
      String report = String.join("; ", trainData.report().lines());
      System.err.println("align4j rm: " + r.dataset() + ": " + report);
      List<RewardPair> train = RewardData.pairs(trainData);
      List<RewardPair> eval = List.of();
      if (!r.evalDataset().isBlank()) {
        Prepared<RewardEncoding> e = RewardData.prepare(evalPairs, ptok, opts);
        System.err.println("align4j rm: " + r.evalDataset() + ": " + String.join("; ", e.report().lines()));
        eval = RewardData.pairs(e);
      }
      if (train.isEmpty()) {
        throw new IllegalArgumentException(r.dataset() + ": no trainable pairs (" + report + ")");
      }
      // TRL: the tokenizer's pad token, else its EOS; the model's config.pad_token_id is set to it
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      Setup s = setup(r, model, baseScore);
      RewardObjective objective = new RewardObjective(s.head(), pad, new BradleyTerry(r.centerRewardsCoefficient()));
      Trainer trainer = new Trainer(model, s.trainables(), TrainingKeys.trainerConfig(RmRecipe.SCHEMA, r, pad),
          TrainingKeys.schedule(RmRecipe.SCHEMA, r)::lrAt, out.resolve("checkpoints"));
      PeftModel peft = s.peft();
      TrainingLoop.Result res = new TrainingLoop<>(trainer, objective, out, "rm")
          .withEvaluation(eval, (int) r.evalSteps())
          .withEarlyStopping(TrainingKeys.earlyStopping(RmRecipe.SCHEMA, r))
          .withMonitor(r.metricForBestModel().metric(), r.metricForBestModel().greaterIsBetter())
          .withTrainingMode(on -> {
            model.setTraining(on);
            if (peft != null) {
              peft.state().setTraining(on);
            }
          })
          .onBest(step -> {
            try {
              AtomicFiles.replaceDirectory(out.resolve("best"), dir -> {
                save(s, pm, modelDir, pad, null, r, dir);
                AtomicFiles.writeString(dir.resolve("best_step.txt"), step + "\n");
              });
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .run(train);
      var done = res.steps();
      if (StopSignal.requested() && !res.stoppedEarly()
          && (done.isEmpty() || done.get(done.size() - 1).step() < r.maxSteps())) {
        System.err.printf("align4j: stopped by %s after step %s; %s; rerun the same command to resume%n",
            StopSignal.signalName(), done.isEmpty() ? "(none)" : done.get(done.size() - 1).step(),
            StopSignal.checkpointOnStop() ? "checkpoint in " + out.resolve("checkpoints") : "no checkpoint written");
        return new Summary(res, out, report, Double.NaN, null, true);
      }
      model.setTraining(false);
      double accuracy = eval.isEmpty() ? Double.NaN
          : Evaluation.run(model, objective, eval, r.perDeviceTrainBatchSize()).metrics().get("accuracy");
      RewardStats stats = RewardModel.of(model, s.head(), pad).stats(eval.isEmpty() ? train : eval, r.perDeviceTrainBatchSize());
      System.err.printf("align4j rm: reward statistics over the %s pairs: mean %.4f, std %.4f (stored for PPO)%n",
          eval.isEmpty() ? "training" : "eval", stats.mean(), stats.std());
      AtomicFiles.replaceDirectory(out.resolve(s.peft() != null ? "adapter" : "model"),
          dir -> save(s, pm, modelDir, pad, stats, r, dir));
      if (s.peft() != null && r.merge()) {
        if (r.quantizationBit() == 4) {
          System.err.println("align4j rm: merge skipped: the base is 4-bit; merge the adapter into the "
              + "full-precision base with `align4j merge`");
        } else {
          s.peft().merge();
          AtomicFiles.replaceDirectory(out.resolve("merged"), dir -> RewardModelFiles.saveFull(model, s.head(),
              pm.configJson(), pm.generationConfig(), pad, stats, modelDir, dir));
        }
      }
      return new Summary(res, out, report, accuracy, stats, false);
    }
  }

  /** What trains: the method's parameters and the score head, and the PEFT model for LoRA. */
  record Setup(PeftModel peft, ScoreHead head, List<Parameter> trainables) {}

  static Setup setup(RmRecipe r, CausalLM model, NDArray baseScore) throws IOException {
    if (r.quantizationBit() == 4) {
      long bytes = QuantizedModels.quantize(model, r.doubleQuantization());
      System.err.printf("align4j rm: QLoRA base in NF4%s, %.1f MiB of quantised weights%n",
          r.doubleQuantization() ? " with double quantisation" : "", bytes / 1048576.0);
    }
    if (r.finetuningType() == FinetuningType.LORA) {
      PeftModel peft = new PeftModel(model);
      StartAdapter.add(r, peft, "default");
      ScoreHead head = peft.scoreHead("default");
      if (head == null) {
        // a causal-LM adapter (or none) gets a new head, drawn as for a new reward model of this seed
        head = peft.addScoreHead("default", 1, r.seed());
        if (baseScore != null) {
          head.weight().replace(baseScore);   // continue from the reward model's own head (PEFT copies it too)
        }
      }   // else a reward-model adapter: its own head (PEFT's saved score replaces the base's too)
      return new Setup(peft, head, peft.trainableParameters());
    }
    List<Parameter> trainables = new ArrayList<>();
    if (r.finetuningType() == FinetuningType.FREEZE) {
      trainables.addAll(FreezeTuning.apply(model, r.freezeTrainableLayers(), r.freezeExtraModules().isBlank()
          ? List.of() : Arrays.stream(r.freezeExtraModules().split(",")).map(String::trim).toList()));
    } else {
      model.setAllTrainable(true);
      Parameter lmHead = model.parameters().get("lm_head.weight");
      if (lmHead != null) {
        lmHead.setTrainable(false);   // no reward depends on it: it would get no gradient
      }
      trainables.addAll(model.trainableParameters());
    }
    ScoreHead head = baseScore != null
        ? ScoreHead.of(Parameter.master(ScoreHead.MODULE + ".weight", baseScore, model.precision()))
        : ScoreHead.standalone(model, 1, r.seed());
    head.weight().setTrainable(true);
    trainables.add(head.weight());
    return new Setup(null, head, trainables);
  }

  /** The adapter (LoRA) or the full reward model, with its statistics when given. */
  private static void save(Setup s, PretrainedModel pm, Path modelDir, long pad, RewardStats stats, RmRecipe r, Path dir)
      throws IOException {
    if (s.peft() != null) {
      PeftAdapterFiles.save(s.peft(), "default", dir, r.modelNameOrPath());
      if (stats != null) {
        RewardModelFiles.writeStats(dir, stats);
      }
    } else {
      RewardModelFiles.saveFull(pm.model(), s.head(), pm.configJson(), pm.generationConfig(), pad, stats, modelDir, dir);
    }
  }

  /** Unused tensors of a checkpoint are an error naming them. */
  static void requireNone(Map<String, NDArray> extras, Path dir) {
    if (!extras.isEmpty()) {
      throw new IllegalArgumentException(dir + ": unexpected tensors " + extras.keySet());
    }
  }
}
