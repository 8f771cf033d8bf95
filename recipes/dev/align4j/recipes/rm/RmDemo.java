package dev.align4j.recipes.rm;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.reward.PairAccuracy;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code align4j rm --demo}: a reward model for the incident task. Preference pairs from the task's
 * ground-truth judge (chosen: the correct report; rejected: a wrong event type, a wrong risk level or a
 * broken format), a tiny Qwen3-shaped model with a character tokenizer over them, {@code
 * recipes/rm_demo.yaml}, and the held-out pairwise accuracy per defect before and after training.
 */
final class RmDemo {
  static final String KIND = "kind";

  private RmDemo() {}

  static int run(Path out, List<String> overrides, Device device) throws IOException {
    Path marker = out.resolve(".align4j-rm-demo");
    if (Files.exists(out) && !Files.exists(marker)) {
      try (var s = Files.list(out)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " exists and is not an rm demo directory; choose another --out");
        }
      }
    }
    if (Files.exists(out)) {
      try (var walk = Files.walk(out)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(out);
    Files.writeString(marker, "working directory of align4j rm --demo; deleted and rebuilt by each run\n");
    long seed = 42;
    IncidentPreferences.Split split = IncidentPreferences.split(480, 96, seed);
    Path data = out.resolve("data");
    Path train = data.resolve("train.jsonl");
    Path heldOut = data.resolve("heldout.jsonl");
    IncidentPreferences.writeJsonl(train, split.train());
    IncidentPreferences.writeJsonl(heldOut, split.heldOut());
    System.out.printf("== 1. %d training and %d held-out preference pairs (disjoint alerts) -> %s%n",
        split.train().size(), split.heldOut().size(), data);

    Path base = out.resolve("base");
    List<String> corpus = new ArrayList<>();
    for (List<IncidentPreferences.Pair> ps : List.of(split.train(), split.heldOut())) {
      for (IncidentPreferences.Pair p : ps) {
        corpus.addAll(List.of(p.user(), p.chosen(), p.rejected(), "user", "assistant"));
      }
    }
    int vocab = CharTokenizer.write(base, corpus);
    ModelConfig cfg = new ModelConfig(ModelFamily.QWEN3, vocab, 64, 192, 2, 4, 2, 16, 1e-6, 10000.0, null, 512,
        true, false, "float32");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(base, cfg, seed, null, Optional.empty(), m);
    }
    System.out.printf("== 2. tiny %s with a score head: %,d parameters, character vocabulary of %d%n",
        cfg.architectureName(), cfg.parameterCount(), vocab);

    List<String> keys = new ArrayList<>(List.of("model_name_or_path=" + base, "dataset=" + train,
        "eval_dataset=" + heldOut, "output_dir=" + out.resolve("rm")));
    keys.addAll(overrides);
    RmRecipe recipe = RmRecipe.load(Path.of("recipes/rm_demo.yaml"), keys);
    PairAccuracy before = accuracy(Path.of(recipe.modelNameOrPath()), null, heldOut, recipe, device, true);
    System.out.printf("== 3. reward model training (%s, %d steps)%n", recipe.finetuningType().name().toLowerCase(),
        recipe.maxSteps());
    RmRun.Summary s = RmRun.run(recipe, device);
    if (s.stopped()) {
      return StopSignal.exitCode();
    }
    var steps = s.result().steps();
    System.out.printf("   loss %.4f -> %.4f; reward mean %.3f, std %.3f stored for PPO%n", steps.get(0).loss(),
        steps.get(steps.size() - 1).loss(), s.stats().mean(), s.stats().std());
    boolean adapter = recipe.finetuningType().savesAdapter();
    Path rm = s.outputDir().resolve(adapter ? "adapter" : "model");
    PairAccuracy after = adapter ? accuracy(Path.of(recipe.modelNameOrPath()), rm, heldOut, recipe, device, false)
        : accuracy(rm, null, heldOut, recipe, device, false);
    System.out.printf("== 4. held-out pairwise accuracy (%d pairs; chance is 50%%)%n", after.pairs());
    System.out.println("| rejected report has | pairs | before training | after training |");
    System.out.println("|---|---|---|---|");
    for (String kind : after.groups().keySet()) {
      System.out.printf("| %s | %d | %.1f%% | %.1f%% |%n", kind.replace('_', ' '), after.groups().get(kind).pairs(),
          100 * before.groups().get(kind).accuracy(), 100 * after.groups().get(kind).accuracy());
    }
    System.out.printf("| all | %d | %.1f%% | %.1f%% |%n", after.pairs(), 100 * before.accuracy(), 100 * after.accuracy());
    System.out.println("outputs: " + s.outputDir() + " (metrics.jsonl, loss.png, " + (adapter ? "adapter/" : "model/") + ")");
    return 0;
  }

  /** Held-out accuracy per kind; {@code fresh}: the base with a newly drawn score head (before training). */
  private static PairAccuracy accuracy(Path model, Path adapter, Path pairs, RmRecipe r, Device device, boolean fresh)
      throws IOException {
    try (NDManager m = Torch.newManager(device);
        Tokenizer tok = Tokenizer.load(model)) {
      Prepared<RewardEncoding> p = RewardData.prepare(pairs, PreferenceParser.auto(), PreferenceTokenizer.of(tok),
          new PreferenceOptions(r.cutoffLen(), r.overlong(), r.truncation(), false));
      if (fresh) {
        try (PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
          long pad = tok.padId().orElse(tok.eosIds()[0]);
          RewardModel rm = RewardModel.of(pm.model(), ScoreHead.standalone(pm.model(), 1, r.seed()), pad);
          return PairAccuracy.of(rm, p.examples(), KIND, r.perDeviceTrainBatchSize());
        }
      }
      try (RewardModel rm = RewardModel.load(model, adapter, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        return PairAccuracy.of(rm, p.examples(), KIND, r.perDeviceTrainBatchSize());
      }
    }
  }
}
