package dev.align4j.recipes.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align4j.dpo.DpoCollator;
import dev.align4j.dpo.DpoObjective;
import dev.align4j.dpo.DpoPair;
import dev.align4j.dpo.KtoBlock;
import dev.align4j.dpo.KtoExample;
import dev.align4j.dpo.KtoObjective;
import dev.align4j.dpo.PairLoss;
import dev.align4j.dpo.ReferencePrecompute;
import dev.align4j.dpo.Truncation;
import dev.align4j.dpo.loss.KtoLossConfig;
import dev.align4j.dpo.loss.KtoLossType;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.quant.QuantizedModels;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.CurvePlot;
import dev.align4j.peft.train.Objective;
import dev.align4j.peft.train.RunProvenance;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.peft.train.TrainingLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preference-optimisation main ({@code align4j dpo|kto|orpo|simpo}): recipe in; the policy adapter
 * (or full model), metrics with TRL's names, plots of the loss, reward margins and accuracies, and the
 * resolved config out. For LoRA the reference is never a second copy: the base with adapters off, or
 * a frozen copy of the starting adapter on the same base ({@link PolicySetup}).
 */
public final class DpoRun {
  /**
   * What a run produced.
   *
   * @param stopped whether a SIGINT/SIGTERM stopped it before {@code max_steps} (rerun to resume)
   */
  public record Summary(TrainingLoop.Result result, Path outputDir, String reference, boolean stopped) {}

  private DpoRun() {}

  /** Runs a recipe of {@code stage} on {@code device}. */
  public static Summary run(Stage stage, DpoRecipe r, Device device) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    Path out = Path.of(r.outputDir());
    Files.createDirectories(out);
    AtomicFiles.recoverDirectories(out);
    Map<String, Path> data = new LinkedHashMap<>();
    data.put("dataset_sha256", Path.of(r.dataset()));
    if (!r.evalDataset().isBlank()) {
      data.put("eval_dataset_sha256", Path.of(r.evalDataset()));
    }
    RunProvenance.writeResolved(DpoRecipe.SCHEMA, r, out, data, r.seed(), r.allowConfigChange());
    String tag = "align4j " + stage.command();
    try (StopSignal.Region graceful = StopSignal.graceful();
        NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(modelDir, r.precision(), r.attention(), m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      CausalLM model = pm.model();
      model.config().requireVocabCovers(tok.vocabSize(), modelDir);
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      long vocab = model.config().vocabSize();
      Path trainFile = Path.of(r.dataset());
      Path evalFile = r.evalDataset().isBlank() ? null : Path.of(r.evalDataset());
      if (stage == Stage.KTO) {
        List<KtoExample> train = PreferenceData.unpaired(trainFile, tok, r, tag);
        List<KtoExample> eval = evalFile == null ? List.of() : PreferenceData.unpaired(evalFile, tok, r, tag);
        quantize(r, model, tag);
        if (r.perDeviceTrainBatchSize() < 2 && !r.lossTypes(stage).equals(List.of("apo_zero_unpaired"))) {
          throw new IllegalArgumentException("kto: per_device_train_batch_size must be >= 2: the KL term scores each prompt"
              + " with another example's completion of the same batch (TRL's rotation)");
        }
        KtoLossConfig cfg = new KtoLossConfig(r.prefBeta(), KtoLossType.fromId(r.lossTypes(stage).get(0)),
            r.ktoChosenWeight(), r.ktoRejectedWeight());
        try (PolicySetup p = PolicySetup.of(r, model, m, tok.vocabSize(), true)) {
          String refText = p.describe();
          System.err.printf("%s: %d examples (%d held out); reference: %s%n", tag, train.size(), eval.size(), refText);
          if (r.precomputeRefLogProbs()) {
            Path cache = cacheDir(r, out);
            String hash = p.referenceHash(r);
            train = ReferencePrecompute.attachKto(model, p.reference, train, pad, r.cutoffLen(),
                r.perDeviceTrainBatchSize(), cache, hash, line -> System.err.println(tag + ": " + line));
            if (!eval.isEmpty()) {
              eval = ReferencePrecompute.attachKto(model, p.reference, eval, pad, r.cutoffLen(),
                  r.perDeviceTrainBatchSize(), cache, hash, line -> System.err.println(tag + ": " + line + " (eval)"));
            }
            p.dropReference();
          }
          KtoObjective objective = new KtoObjective(cfg, pad, r.cutoffLen(), p.reference);
          // one block (TRL's batch of the KL rotation) per micro-batch
          int b = r.perDeviceTrainBatchSize();
          return train(stage, r, objective, KtoBlock.of(train, b), KtoBlock.of(eval, b), p, pm, pad, out, refText, 1);
        }
      }
      List<DpoPair> train = PreferenceData.pairs(trainFile, tok, r, vocab, tag);
      List<DpoPair> eval = evalFile == null ? List.of() : PreferenceData.pairs(evalFile, tok, r, vocab, tag);
      if (train.isEmpty()) {
        throw new IllegalArgumentException(r.dataset() + ": no pairs to train on");
      }
      quantize(r, model, tag);
      PairLoss loss = LossSelection.of(stage, r);
      try (PolicySetup p = PolicySetup.of(r, model, m, tok.vocabSize(), loss.needsReference())) {
        DpoCollator collator = new DpoCollator(pad, r.cutoffLen(), Truncation.KEEP_START, r.ldAlphaValue());
        String refText = p.describe();
        System.err.printf("%s: %d pairs (%d held out); reference: %s%n", tag, train.size(), eval.size(), refText);
        if (p.reference != null && r.precomputeRefLogProbs()) {
          Path cache = cacheDir(r, out);
          String hash = p.referenceHash(r);
          train = ReferencePrecompute.attach(model, p.reference, collator, train, r.perDeviceTrainBatchSize(), cache,
              hash, line -> System.err.println(tag + ": " + line));
          if (!eval.isEmpty()) {
            eval = ReferencePrecompute.attach(model, p.reference, collator, eval, r.perDeviceTrainBatchSize(), cache,
                hash, line -> System.err.println(tag + ": " + line + " (eval)"));
          }
          p.dropReference();   // the values are on disk: a loaded reference copy's memory goes back
        }
        return train(stage, r, new DpoObjective(collator, loss, p.reference), train, eval, p, pm, pad, out, refText,
            r.perDeviceTrainBatchSize());
      }
    }
  }

  private static Path cacheDir(DpoRecipe r, Path out) {
    return r.refLogpsCacheDir().isBlank() ? out.resolve("ref_logps") : Path.of(r.refLogpsCacheDir());
  }

  private static void quantize(DpoRecipe r, CausalLM model, String tag) {
    if (r.quantizationBit() == 4) {
      long bytes = QuantizedModels.quantize(model, r.doubleQuantization());
      System.err.printf("%s: QLoRA base in NF4, %.1f MiB of quantised weights%n", tag, bytes / 1048576.0);
    }
  }

  /** The shared loop: evaluation, early stopping with best/, plots, the final adapter or model. */
  private static <E> Summary train(Stage stage, DpoRecipe r, Objective<E, ?> objective, List<E> train, List<E> eval,
      PolicySetup p, PretrainedModel pm, long pad, Path out, String refText, int microBatch) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    TrainerConfig c = TrainingKeys.trainerConfig(DpoRecipe.SCHEMA, r, pad);
    TrainerConfig cfg = new TrainerConfig(c.maxSteps(), microBatch, c.gradAccumSteps(), c.maxGradNorm(), c.beta1(),
        c.beta2(), c.eps(), c.weightDecay(), c.checkpointEvery(), c.keepLast(), c.seed(), c.padId(),
        c.activationCheckpointing());
    Trainer trainer = new Trainer(pm.model(), p.trainables, cfg, TrainingKeys.schedule(DpoRecipe.SCHEMA, r)::lrAt,
        out.resolve("checkpoints"));
    PeftModel peft = p.peft;
    TrainingLoop.Result res = new TrainingLoop<>(trainer, objective, out, stage.command())
        .withEvaluation(eval, (int) r.evalSteps())
        .withEarlyStopping(TrainingKeys.earlyStopping(DpoRecipe.SCHEMA, r))
        .onBest(step -> save(out.resolve("best"), peft, pm, modelDir, r, step))
        .run(train);
    Path metrics = out.resolve("metrics.jsonl");
    CurvePlot.plot(metrics, "rewards/margins", "eval_rewards/margins", out.resolve("rewards.png"));
    CurvePlot.plot(metrics, "rewards/accuracies", "eval_rewards/accuracies", out.resolve("accuracy.png"));
    var done = res.steps();
    if (StopSignal.requested() && !res.stoppedEarly()
        && (done.isEmpty() || done.get(done.size() - 1).step() < r.maxSteps())) {
      System.err.printf("align4j: stopped by %s; %s; rerun the same command to resume%n", StopSignal.signalName(),
          StopSignal.checkpointOnStop() ? "checkpoint in " + out.resolve("checkpoints") : "no checkpoint written");
      return new Summary(res, out, refText, true);
    }
    save(out.resolve(peft != null ? "adapter" : "model"), peft, pm, modelDir, r, -1);
    return new Summary(res, out, refText, false);
  }

  /** The trained adapter (PEFT format) or full model, swapped in whole; {@code best_step.txt} for best/. */
  private static void save(Path dir, PeftModel peft, PretrainedModel pm, Path modelDir, DpoRecipe r, long step) {
    try {
      AtomicFiles.replaceDirectory(dir, tmp -> {
        if (peft != null) {
          PeftAdapterFiles.save(peft, "default", tmp, r.modelNameOrPath());
        } else {
          ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), tmp, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
          for (String f : TinyCheckpoint.TOKENIZER_FILES) {
            if (Files.exists(modelDir.resolve(f))) {
              AtomicFiles.writeBytes(tmp.resolve(f), Files.readAllBytes(modelDir.resolve(f)));
            }
          }
        }
        if (step >= 0) {
          AtomicFiles.writeString(tmp.resolve("best_step.txt"), step + "\n");
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
