package dev.align4j.recipes.sft;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.config.ResolvedConfig;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingCheckpoint;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.peft.train.TrainingLoop;
import dev.align4j.sft.BuiltinTemplate;
import dev.align4j.sft.SftEncoder;
import dev.align4j.sft.SftOptions;
import dev.align4j.sft.SftTrainer;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.Example;
import dev.align4j.peft.data.format.ExampleParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** The SFT main: recipe in, adapter (or full model), metrics, plots and resolved config out. */
public final class SftRun {
  /**
   * What a run produced.
   *
   * @param stopped whether a SIGINT/SIGTERM stopped the run before {@code max_steps}: its last step is
   *     checkpointed, no adapter or model was written, and rerunning the same command resumes it
   */
  public record Summary(TrainingLoop.Result result, Path outputDir, String encodeReport, boolean stopped) {}

  private SftRun() {}

  /** Runs a recipe on the CPU. */
  public static Summary run(SftRecipe r) throws IOException {
    return run(r, Device.cpu());
  }

  /**
   * Runs a recipe on {@code device}. An output directory holding a checkpoint is resumed only when
   * the recipe matches the run that wrote it ({@link ResolvedConfig#requireSameRun}); checked, with
   * every key, before any model or data is read.
   */
  public static Summary run(SftRecipe r, Device device) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    prepare(r);
    // a signal from here on stops the run at a safe point (see StopSignal) instead of killing it
    try (StopSignal.Region graceful = StopSignal.graceful();
        NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(modelDir, r.precision(), r.attention(), m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      return train(r, pm, tok, null, null);
    }
  }

  /**
   * Trains a LoRA recipe as a new adapter {@code adapter} of {@code shared}, whose base (loaded from
   * the recipe's {@code model_name_or_path}) stays loaded for the next adapter: the other adapters are
   * inactive and frozen while this one trains, and stay so. The caller holds a {@link StopSignal}
   * region. Writes the recipe's output directory as {@link #run} does ({@code adapter/} holds this
   * adapter).
   */
  public static Summary runShared(SftRecipe r, PretrainedModel pm, Tokenizer tok, PeftModel shared, String adapter)
      throws IOException {
    if (r.finetuningType() != FinetuningType.LORA || r.quantizationBit() != 0 || r.merge()) {
      throw new IllegalArgumentException("adapter '" + adapter + "': adapters that share one base are LoRA"
          + " (finetuning_type lora, quantization_bit 0, merge false)");
    }
    prepare(r);
    return train(r, pm, tok, shared, adapter);
  }

  /** The output directory made, recovered from an interrupted save, and its resolved config checked/written. */
  private static void prepare(SftRecipe r) throws IOException {
    Path out = Path.of(r.outputDir());
    Files.createDirectories(out);
    AtomicFiles.recoverDirectories(out);   // a save interrupted by a crash: put the previous best/, adapter/... back
    writeResolved(r, out);
  }

  /** The run on a loaded model; LoRA goes into {@code shared} as {@code adapterName} when given. */
  private static Summary train(SftRecipe r, PretrainedModel pm, Tokenizer tok, PeftModel shared, String adapterName)
      throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    Path out = Path.of(r.outputDir());
    String adapter = shared != null ? adapterName : "default";
    CausalLM model = pm.model();
    model.config().requireVocabCovers(tok.vocabSize(), modelDir);
    ChatTemplate template = r.template().map(t -> t.template(tok.specialTokens())).orElseGet(() -> tok.chatTemplate().orElse(null));
    SftEncoder enc = new SftEncoder(tok, template, new SftOptions(r.cutoffLen(), r.trainOnPrompt(), r.maskHistory()));
    List<TrainingExample> train = encode(Path.of(r.dataset()), r.formatting(), r.datasetInfo(), enc, template, modelDir);
    String report = enc.report();
    System.err.println("align4j sft: " + report);
    List<TrainingExample> eval = r.evalDataset().isBlank() ? List.of()
        : encode(Path.of(r.evalDataset()), r.formatting(), r.datasetInfo(), enc, template, modelDir);
    if (train.isEmpty()) {
      throw new IllegalArgumentException(r.dataset() + ": no trainable examples (" + report + ")");
    }
    if (r.packing()) {
      int before = train.size();
      train = dev.align4j.peft.train.Packing.pack(train, r.cutoffLen());
      System.err.printf("align4j sft: packed %d examples into %d rows of <= %d tokens%n", before, train.size(), r.cutoffLen());
    }
    model.setNeftuneAlpha(r.neftuneNoiseAlpha());
    long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
    PeftModel peft = null;
    dev.align4j.peft.adapter.Ia3Adapter ia3 = null;
    List<Parameter> trainables;
    if (r.quantizationBit() == 4) {
      long bytes = dev.align4j.peft.quant.QuantizedModels.quantize(model, r.doubleQuantization());
      System.err.printf("align4j sft: QLoRA base in NF4%s, %.1f MiB of quantised weights%n",
          r.doubleQuantization() ? " with double quantisation" : "", bytes / 1048576.0);
    }
    // pure bfloat16: parameters are marked before any is made trainable, so no float32 copy is ever made
    r.masterWeights().applyTo(model.parameters().values());
    PromptAdapter prompt = null;
    if (r.finetuningType().isPromptLearning()) {
      prompt = PromptAdapter.create(model, r);
      trainables = prompt.trainableParameters();
    } else if (r.finetuningType() == FinetuningType.IA3) {
      ia3 = new dev.align4j.peft.adapter.Ia3Adapter(model, dev.align4j.peft.adapter.Ia3Adapter.DEFAULT_TARGETS,
          dev.align4j.peft.adapter.Ia3Adapter.DEFAULT_FEEDFORWARD);
      trainables = ia3.trainableParameters();
    } else if (r.finetuningType() == FinetuningType.FREEZE) {
      trainables = dev.align4j.peft.adapter.FreezeTuning.apply(model, r.freezeTrainableLayers(),
          r.freezeExtraModules().isBlank() ? List.of()
              : Arrays.stream(r.freezeExtraModules().split(",")).map(String::trim).toList());
    } else if (r.finetuningType() == FinetuningType.LORA) {
      peft = shared != null ? shared : new PeftModel(model);
      List<String> targets = LoraConfig.recipeTargets(r.loraTarget());
      peft.addLora(adapter, new LoraConfig(r.loraRank(), r.loraAlpha(), r.loraDropout(), targets,
          LoraInit.KAIMING_UNIFORM, r.useRslora(), r.useDora(), List.of()), r.seed());
      if (shared != null) {
        peft.setActive(adapter);                                 // the others: inactive and frozen
      }
      trainables = peft.trainableParameters();
    } else {
      model.setAllTrainable(true);
      trainables = model.trainableParameters();
    }
    r.masterWeights().applyTo(trainables);   // an adapter's own new parameters (LoRA's A and B) too
    TrainerConfig cfg = TrainingKeys.trainerConfig(SftRecipe.SCHEMA, r, pad);
    dev.align4j.peft.train.LrScheduleConfig schedule = TrainingKeys.schedule(SftRecipe.SCHEMA, r);
    java.util.function.LongToDoubleFunction lr = schedule::lrAt;
    PeftModel p = peft;
    List<long[]> samplePrompts = samplePrompts(r, tok, template, 2);
    java.util.function.Function<CausalLM, List<String>> sampler = samplePrompts.isEmpty() ? null : mdl -> {
      List<String> texts = new ArrayList<>();
      var gen = new dev.align4j.peft.generate.Generator(mdl).generate(samplePrompts,
          dev.align4j.peft.generate.GenerationConfig.greedy(64, tok.eosIds()).withPadId(pad), null);
      gen.forEach(c -> texts.add(tok.decode(c.tokens(), true)));
      return texts;
    };
    dev.align4j.peft.adapter.Ia3Adapter ia3f = ia3;
    PromptAdapter pr = prompt;
    TrainingLoop.Result res = new SftTrainer(model, trainables, cfg, lr, out, (int) r.evalSteps(), sampler, on -> {
      model.setTraining(on);
      if (p != null) {
        p.state().setTraining(on);
      }
    }).withEarlyStopping(TrainingKeys.earlyStopping(SftRecipe.SCHEMA, r))
        .onBest(step -> {
          saveBest(out.resolve("best"), step, p, adapter, ia3f, pr, pm, modelDir, r);
        })
        .train(train, eval);
    var done = res.steps();
    if (StopSignal.requested() && !res.stoppedEarly()
        && (done.isEmpty() || done.get(done.size() - 1).step() < r.maxSteps())) {
      System.err.printf("align4j: stopped by %s after step %s; %s; rerun the same command to resume%n",
          StopSignal.signalName(), done.isEmpty() ? "(none)" : done.get(done.size() - 1).step(),
          StopSignal.checkpointOnStop() ? "checkpoint in " + out.resolve("checkpoints") : "no checkpoint written");
      return new Summary(res, out, report, true);
    }
    // every directory below is written beside its final name and swapped in: never half old, half new
    if (prompt != null) {
      PromptAdapter pa = prompt;
      AtomicFiles.replaceDirectory(out.resolve("adapter"), dir -> pa.save(dir, r.modelNameOrPath()));
    } else if (ia3 != null) {
      dev.align4j.peft.adapter.Ia3Adapter a = ia3;
      AtomicFiles.replaceDirectory(out.resolve("adapter"), dir -> a.save(dir, r.modelNameOrPath()));
      if (r.merge()) {
        ia3.merge();
        saveModel(pm, modelDir, out.resolve("merged"));
      }
    } else if (peft != null) {
      PeftModel pf = peft;
      AtomicFiles.replaceDirectory(out.resolve("adapter"), dir -> PeftAdapterFiles.save(pf, adapter, dir, r.modelNameOrPath()));
      if (r.merge() && r.quantizationBit() == 4) {
        System.err.println("align4j sft: merge skipped: the base is 4-bit; merge the adapter into the "
            + "full-precision base with `align4j merge` (the result is float32/bfloat16 as the base)");
      } else if (r.merge()) {
        peft.merge();
        saveModel(pm, modelDir, out.resolve("merged"));
      }
    } else {
      saveModel(pm, modelDir, out.resolve("model"));
    }
    return new Summary(res, out, report, false);
  }

  /** Prompts (chat template, generation prompt on) of the first conversations of the eval set. */
  private static List<long[]> samplePrompts(SftRecipe r, Tokenizer tok, ChatTemplate template, int n) throws IOException {
    List<long[]> out = new ArrayList<>();
    if (r.evalDataset().isBlank() || template == null) {
      return out;
    }
    try (JsonRecords records = JsonRecords.open(Path.of(r.evalDataset()))) {
      ExampleParser parser = null;
      while (records.hasNext() && out.size() < n) {
        SourceRecord rec = records.next();
        if (parser == null) {
          parser = ExampleParser.of(r.formatting().format()
              .orElseGet(() -> DataFormat.autodetect(rec.value()).orElse(DataFormat.ALPACA)));
        }
        if (parser.parse(rec) instanceof dev.align4j.peft.data.format.Conversation c) {
          var msgs = SftEncoder.messages(c);
          out.add(tok.encode(template.render(msgs.subList(0, msgs.size() - 1), true), false));
        }
      }
    }
    return out;
  }

  /**
   * Keeps the weights of the best evaluation so far in {@code dir} (adapter, or full model) with
   * {@code best_step.txt}, swapped in whole: a crash leaves the previous best or the new one.
   */
  private static void saveBest(Path dir, long step, PeftModel peft, String adapter, dev.align4j.peft.adapter.Ia3Adapter ia3,
      PromptAdapter prompt, PretrainedModel pm, Path modelDir, SftRecipe r) {
    try {
      AtomicFiles.replaceDirectory(dir, tmp -> {
        if (prompt != null) {
          prompt.save(tmp, r.modelNameOrPath());
        } else if (peft != null) {
          PeftAdapterFiles.save(peft, adapter, tmp, r.modelNameOrPath());
        } else if (ia3 != null) {
          ia3.save(tmp, r.modelNameOrPath());
        } else {
          writeModel(pm, modelDir, tmp);
        }
        AtomicFiles.writeString(tmp.resolve("best_step.txt"), step + "\n");
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A full Hugging Face checkpoint with the base's tokenizer files, swapped in for {@code to}. */
  private static void saveModel(PretrainedModel pm, Path from, Path to) throws IOException {
    AtomicFiles.replaceDirectory(to, tmp -> writeModel(pm, from, tmp));
  }

  private static void writeModel(PretrainedModel pm, Path from, Path to) throws IOException {
    ObjectNode cfg = pm.configJson();
    if (pm.model().precision() == Precision.BFLOAT16
        && pm.model().parameters().values().stream().anyMatch(Parameter::masterless)) {
      // pure bfloat16 (master_weights none): the model is bfloat16 and is saved as transformers saves a
      // model cast to bfloat16, whatever dtype the checkpoint it started from had
      cfg = (cfg != null ? cfg : pm.model().config().toJson()).deepCopy();
      cfg.put("torch_dtype", "bfloat16");
      if (cfg.has("dtype")) {
        cfg.put("dtype", "bfloat16");
      }
    }
    ModelSaver.save(pm.model(), cfg, pm.generationConfig(), to, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
    for (String f : TinyCheckpoint.TOKENIZER_FILES) {
      if (Files.exists(from.resolve(f))) {
        AtomicFiles.writeBytes(to.resolve(f), Files.readAllBytes(from.resolve(f)));
      }
    }
  }

  /**
   * Parses and encodes a dataset file; errors name {@code file:line}. Plain text needs no chat
   * template ({@code template} may be null); a conversation without one is refused naming
   * {@code modelDir}'s tokenizer_config.json and the recipe key that supplies one.
   */
  public static List<TrainingExample> encode(Path file, Formatting formatting, ObjectNode datasetInfo, SftEncoder enc,
      ChatTemplate template, Path modelDir) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "dataset not found");
    }
    List<TrainingExample> out = new ArrayList<>();
    ExampleParser parser = null;
    try (JsonRecords records = JsonRecords.open(file)) {
      while (records.hasNext()) {
        SourceRecord rec = records.next();
        StopSignal.check("data loading (" + file + ")");
        if (parser == null && datasetInfo != null && !datasetInfo.isEmpty()) {
          parser = new ExampleParser(dev.align4j.peft.data.format.ColumnMapping.fromDatasetInfo(datasetInfo));
        }
        if (parser == null) {
          DataFormat f = formatting.format().orElseGet(() -> DataFormat.autodetect(rec.value())
              .orElseThrow(() -> new IllegalArgumentException(
                  file + ":" + rec.line() + ": cannot tell the data format; set formatting")));
          parser = ExampleParser.of(f);
        }
        Example e = parser.parse(rec);
        if (template == null && !(e instanceof dev.align4j.peft.data.format.PlainText)) {
          throw new IllegalArgumentException(file + ":" + rec.line() + ": conversations need a chat template, and "
              + modelDir.resolve("tokenizer_config.json") + " has no chat_template; set `template: "
              + BuiltinTemplate.choices() + "` in the recipe (or use {\"text\": ...} lines for plain-text training)");
        }
        enc.encode(e).ifPresent(out::add);
      }
    }
    return out;
  }

  /**
   * Writes {@code resolved_config.json} before training. When the directory holds a checkpoint that
   * this run will resume, the recipe must match the one that wrote it (max_steps and the save/eval
   * cadence may change); {@code allow_config_change=true} accepts other changes and records them in
   * the provenance.
   */
  private static void writeResolved(SftRecipe r, Path out) throws IOException {
    java.util.LinkedHashMap<String, String> data = new java.util.LinkedHashMap<>();
    data.put("dataset", r.dataset());
    if (!r.evalDataset().isBlank()) {
      data.put("eval_dataset", r.evalDataset());
    }
    writeResolved(SftRecipe.SCHEMA, r, data, r.seed(), r.allowConfigChange(), out);
  }

  /**
   * Writes {@code resolved_config.json} for any stage's recipe: the resolved keys and the provenance
   * (version, git commit, seed, the SHA-256 of each data file as {@code <key>_sha256}). When {@code out}
   * holds a checkpoint this run will resume, the recipe must match the one that wrote it ({@link
   * ResolvedConfig#requireSameRun} with {@link TrainingKeys}' rules).
   *
   * @param dataFiles recipe key to data file path, each checked to exist
   */
  public static <R extends Record> void writeResolved(dev.align4j.peft.config.RecipeSchema<R> schema, R r,
      java.util.Map<String, String> dataFiles, long seed, boolean allowConfigChange, Path out) throws IOException {
    writeResolved(schema, r, dataFiles, seed, allowConfigChange, out, null, java.util.Set.of());
  }

  /**
   * As {@link #writeResolved(dev.align4j.peft.config.RecipeSchema, Record, java.util.Map, long, boolean, Path)}
   * with {@code extraProvenance}'s fields (e.g. the RL algorithm) added to the provenance (the caller
   * checks those itself) and {@code extraFixed}, a stage's own keys that a checkpoint fixes on top of
   * {@link TrainingKeys#FIXED_BY_CHECKPOINT}.
   */
  public static <R extends Record> void writeResolved(dev.align4j.peft.config.RecipeSchema<R> schema, R r,
      java.util.Map<String, String> dataFiles, long seed, boolean allowConfigChange, Path out,
      ObjectNode extraProvenance, java.util.Set<String> extraFixed) throws IOException {
    ObjectNode prov = new ObjectMapper().createObjectNode();
    if (extraProvenance != null) {
      prov.setAll(extraProvenance);
    }
    prov.put("align4j_version", "0.1.0");
    gitCommit().ifPresent(c -> prov.put("git_commit", c));
    for (java.util.Map.Entry<String, String> e : dataFiles.entrySet()) {
      Path data = Path.of(e.getValue());
      if (!Files.exists(data)) {
        throw new NoSuchFileException(data.toString(), null, e.getKey() + " not found");
      }
      prov.put(e.getKey() + "_sha256", sha256(data));
    }
    prov.put("seed", seed);
    Optional<Path> resume = TrainingCheckpoint.latest(out.resolve("checkpoints"));
    Optional<ObjectNode> previous = ResolvedConfig.read(out);
    ObjectNode provenance = prov;
    if (resume.isPresent() && previous.isPresent()) {
      long step = Long.parseLong(resume.get().getFileName().toString().substring("checkpoint-".length()));
      provenance = ResolvedConfig.requireSameRun(schema, previous.get(), r, prov, step,
          TrainingKeys.MAY_CHANGE_ON_RESUME, fixed(extraFixed), allowConfigChange,
          out.resolve(ResolvedConfig.FILE));
    }
    ResolvedConfig.write(out, schema.toJson(r), provenance);
  }

  private static java.util.Set<String> fixed(java.util.Set<String> extra) {
    java.util.Set<String> all = new java.util.HashSet<>(TrainingKeys.FIXED_BY_CHECKPOINT);
    all.addAll(extra);
    return all;
  }

  static String sha256(Path p) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
      MessageDigest d = ((DigestInputStream) in).getMessageDigest();
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Optional<String> gitCommit() {
    try {
      Path head = Path.of(".git/HEAD");
      if (!Files.exists(head)) {
        return Optional.empty();
      }
      String h = Files.readString(head).trim();
      if (h.startsWith("ref: ")) {
        Path ref = Path.of(".git").resolve(h.substring(5));
        return Files.exists(ref) ? Optional.of(Files.readString(ref).trim()) : Optional.empty();
      }
      return Optional.of(h);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
