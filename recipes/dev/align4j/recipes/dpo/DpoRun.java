package dev.align4j.recipes.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align4j.dpo.DpoCollator;
import dev.align4j.dpo.DpoObjective;
import dev.align4j.dpo.DpoPair;
import dev.align4j.dpo.PairLoss;
import dev.align4j.dpo.Reference;
import dev.align4j.dpo.ReferenceFingerprint;
import dev.align4j.dpo.ReferencePrecompute;
import dev.align4j.dpo.Truncation;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.quant.QuantizedModels;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.CurvePlot;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preference-optimisation main ({@code align4j dpo}): recipe in; the policy adapter (or full
 * model), metrics with TRL's names, plots of the loss, reward margins and accuracies, and the resolved
 * config out. The reference is never a second copy for LoRA: the base with adapters off, or a frozen
 * copy of the starting adapter on the same base.
 */
public final class DpoRun {
  /**
   * What a run produced.
   *
   * @param stopped whether a SIGINT/SIGTERM stopped it before {@code max_steps} (rerun to resume)
   */
  public record Summary(TrainingLoop.Result result, Path outputDir, String reference, boolean stopped) {}

  private DpoRun() {}

  /** Runs a DPO-family recipe on {@code device}. */
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
      List<DpoPair> train = PreferenceData.pairs(Path.of(r.dataset()), tok, r, model.config().vocabSize(), tag);
      List<DpoPair> eval = r.evalDataset().isBlank() ? List.of()
          : PreferenceData.pairs(Path.of(r.evalDataset()), tok, r, model.config().vocabSize(), tag);
      if (train.isEmpty()) {
        throw new IllegalArgumentException(r.dataset() + ": no pairs to train on");
      }
      if (r.quantizationBit() == 4) {
        long bytes = QuantizedModels.quantize(model, r.doubleQuantization());
        System.err.printf("%s: QLoRA base in NF4, %.1f MiB of quantised weights%n", tag, bytes / 1048576.0);
      }
      PairLoss loss = LossSelection.of(stage, r);
      PeftModel peft = null;
      Reference reference;
      List<Path> refDirs = new ArrayList<>(List.of(modelDir));
      PretrainedModel refCopy = null;
      List<Parameter> trainables;
      try {
        if (r.finetuningType() == PrefTuning.LORA) {
          peft = new PeftModel(model);
          if (!r.adapterNameOrPath().isBlank()) {
            Path adapter = Path.of(r.adapterNameOrPath());
            if (r.refModel().isBlank()) {
              reference = Reference.FrozenAdapter.load(peft, adapter, "default");
              refDirs.add(adapter);
            } else {
              PeftAdapterFiles.load(peft, adapter, "default");
              peft.setActive("default");
              reference = null;
            }
          } else {
            List<String> targets = r.loraTarget().equals("all") ? List.of("all-linear")
                : Arrays.stream(r.loraTarget().split(",")).map(String::trim).toList();
            peft.addLora("default", new LoraConfig(r.loraRank(), r.loraAlpha(), 0.0, targets, LoraInit.KAIMING_UNIFORM,
                r.useRslora(), r.useDora(), List.of()), r.seed());
            reference = new Reference.AdaptersOff(peft.state());
          }
          trainables = peft.trainableParameters();
        } else {
          model.setAllTrainable(true);
          trainables = model.trainableParameters();
          // the policy before its first step serves a precompute; live, it needs a copy that stays put
          reference = r.precomputeRefLogProbs() ? new Reference.Policy() : null;
        }
        if (!r.refModel().isBlank() || (reference == null && loss.needsReference())) {
          Path refDir = Path.of(r.refModel().isBlank() ? r.modelNameOrPath() : r.refModel());
          refCopy = ModelLoader.load(refDir, r.precision(), r.attention(), m);
          refCopy.model().config().requireVocabCovers(tok.vocabSize(), refDir);
          reference = new Reference.SeparateModel(refCopy.model());
          refDirs = List.of(refDir);
        }
        if (!loss.needsReference()) {
          reference = null;
        }
        DpoCollator collator = new DpoCollator(pad, r.cutoffLen(), Truncation.KEEP_START, r.ldAlphaValue());
        String refText = reference == null ? "none (reference-free)" : reference.describe();
        System.err.printf("%s: %d pairs (%d held out); reference: %s%n", tag, train.size(), eval.size(), refText);
        Reference live = reference;
        if (reference != null && r.precomputeRefLogProbs()) {
          Path cache = r.refLogpsCacheDir().isBlank() ? out.resolve("ref_logps") : Path.of(r.refLogpsCacheDir());
          String how = "precision=" + r.precision() + " attention=" + r.attention() + " quantization_bit="
              + r.quantizationBit() + " double_quantization=" + r.doubleQuantization() + " reference=" + reference.describe();
          String hash = ReferenceFingerprint.of(how, refDirs);
          train = ReferencePrecompute.attach(model, reference, collator, train, r.perDeviceTrainBatchSize(), cache, hash,
              line -> System.err.println(tag + ": " + line));
          if (!eval.isEmpty()) {
            eval = ReferencePrecompute.attach(model, reference, collator, eval, r.perDeviceTrainBatchSize(), cache, hash,
                line -> System.err.println(tag + ": " + line + " (eval)"));
          }
          live = null;
          if (refCopy != null) {   // the values are on disk now: the copy's memory goes back
            refCopy.close();
            refCopy = null;
          }
        }
        DpoObjective objective = new DpoObjective(collator, loss, live);
        TrainerConfig cfg = TrainingKeys.trainerConfig(DpoRecipe.SCHEMA, r, pad);
        Trainer trainer = new Trainer(model, trainables, cfg, TrainingKeys.schedule(DpoRecipe.SCHEMA, r)::lrAt,
            out.resolve("checkpoints"));
        PeftModel p = peft;
        TrainingLoop.Result res = new TrainingLoop<>(trainer, objective, out, stage.command())
            .withEvaluation(eval, (int) r.evalSteps())
            .withEarlyStopping(TrainingKeys.earlyStopping(DpoRecipe.SCHEMA, r))
            .onBest(step -> save(out.resolve("best"), p, pm, modelDir, r, step))
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
      } finally {
        if (refCopy != null) {
          refCopy.close();
        }
      }
    }
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
