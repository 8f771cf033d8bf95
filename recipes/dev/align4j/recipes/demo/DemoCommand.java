package dev.align4j.recipes.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.sft.SftRecipe;
import dev.align4j.recipes.sft.SftRun;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j demo}: the main job on the embedded default. A synthetic security-monitoring task
 * (Chinese alerts in, a structured report out) is generated, validated, cleaned of personal data,
 * deduplicated and split; a tiny Qwen3-shaped model with a character tokenizer is continued-pretrained
 * on the raw alerts, then LoRA-SFT'd on the task; held-out scores before and after SFT are printed.
 */
@Command(name = "demo", description = "The main job on the embedded default: data tooling, continued pre-training and LoRA SFT of a tiny model on a synthetic incident-analysis task; prints before/after scores.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "runs/demo", description = "working directory (default: ${DEFAULT-VALUE})") Path out;
  @Option(names = "--examples", defaultValue = "1200", description = "synthetic examples to generate") int examples;
  @Option(names = "--pt-steps", defaultValue = "250") long ptSteps;
  @Option(names = "--sft-steps", defaultValue = "300") long sftSteps;
  @Option(names = "--seed", defaultValue = "42") long seed;
  @picocli.CommandLine.Mixin dev.align4j.recipes.cli.DeviceOption deviceOption;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    ai.djl.Device device = deviceOption.device();
    // the demo owns its working directory: start clean, so no checkpoint of an earlier run is resumed
    Path marker = out.resolve(".align4j-demo");
    if (Files.exists(out) && !Files.exists(marker)) {
      try (var s = Files.list(out)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " exists and is not a demo directory; choose another --out");
        }
      }
    }
    if (Files.exists(out)) {
      try (var walk = Files.walk(out)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(out);
    Files.writeString(marker, "working directory of align4j demo; deleted and rebuilt by each run\n");
    Path data = out.resolve("data");
    Files.createDirectories(data);
    // 1. data: generate -> validate -> clean -> dedup -> split, through the data tooling
    Path raw = data.resolve("raw.jsonl");
    JsonlWriter.writeAll(raw, IncidentDataset.generate(examples, seed));
    System.out.println("== 1. data (" + examples + " synthetic alerts -> " + data + ")");
    require(Align4j.execute("data", "validate", raw.toString()), "validate");
    require(Align4j.execute("data", "clean", raw.toString(), "-o", data.resolve("clean.jsonl").toString()), "clean");
    require(Align4j.execute("data", "dedup", data.resolve("clean.jsonl").toString(), "-o",
        data.resolve("dedup.jsonl").toString(), "--show", "2"), "dedup");
    require(Align4j.execute("data", "split", data.resolve("dedup.jsonl").toString(), "--train",
        data.resolve("train.jsonl").toString(), "--val", data.resolve("val.jsonl").toString(), "--val-size", "96",
        "--seed", "" + seed), "split");
    List<Conversation> train = conversations(data.resolve("train.jsonl"));
    List<Conversation> val = conversations(data.resolve("val.jsonl"));

    // 2. a tiny model with a character tokenizer over the corpus
    Path base = out.resolve("base");
    List<String> corpus = new ArrayList<>(List.of(IncidentDataset.INSTRUCTION));
    for (List<Conversation> cs : List.of(train, val)) {
      for (Conversation c : cs) {
        c.turns().forEach(t -> corpus.add(t.content()));
      }
    }
    int vocab = CharTokenizer.write(base, corpus);
    ModelConfig cfg = new ModelConfig(ModelFamily.QWEN3, vocab, 128, 384, 4, 4, 2, 32, 1e-6, 10000.0, null, 512,
        true, false, "float32");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(base, cfg, seed, null, Optional.empty(), m);
    }
    System.out.printf("== 2. tiny %s: %,d parameters, character vocabulary of %d%n", cfg.architectureName(),
        cfg.parameterCount(), vocab);

    // 3. continued pre-training on the raw alerts (no reports): the model learns the language
    Path pt = data.resolve("pt.jsonl");
    ObjectMapper json = new ObjectMapper();
    List<ObjectNode> texts = new ArrayList<>();
    for (Conversation c : train) {
      texts.add(json.createObjectNode().put("text", userText(c)));
    }
    JsonlWriter.writeAll(pt, texts);
    System.out.println("== 3. continued pre-training (full fine-tuning) on " + texts.size() + " alerts");
    SftRecipe ptRecipe = SftRecipe.load(Path.of("recipes/demo_pt.yaml"), List.of(
        "model_name_or_path=" + base, "dataset=" + pt, "output_dir=" + out.resolve("pt"), "max_steps=" + ptSteps,
        "seed=" + seed));
    SftRun.Summary ptRun = SftRun.run(ptRecipe, device);
    report(ptRun);
    if (ptRun.stopped()) {
      return StopSignal.exitCode();
    }
    Path ptModel = out.resolve("pt").resolve("model");

    // 4. LoRA SFT on the task
    System.out.println("== 4. LoRA SFT on " + train.size() + " examples (held out: " + val.size() + ")");
    SftRecipe sftRecipe = SftRecipe.load(Path.of("recipes/demo_sft.yaml"), List.of(
        "model_name_or_path=" + ptModel, "dataset=" + data.resolve("train.jsonl"),
        "eval_dataset=" + data.resolve("val.jsonl"), "output_dir=" + out.resolve("sft"), "max_steps=" + sftSteps,
        "seed=" + seed));
    SftRun.Summary sftRun = SftRun.run(sftRecipe, device);
    report(sftRun);
    if (sftRun.stopped()) {
      return StopSignal.exitCode();
    }

    // 5. held-out scores before and after SFT
    List<IncidentEval.Item> items = new ArrayList<>();
    for (Conversation c : val) {
      items.add(new IncidentEval.Item(userText(c), IncidentDataset.parse(c.turns().get(1).content()).orElseThrow()));
    }
    IncidentEval.Scores before;
    IncidentEval.Scores after;
    try (NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(ptModel, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(ptModel)) {
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          ptModel.resolve("tokenizer_config.json") + " has no chat_template"));
      before = IncidentEval.score(pm.model(), tok, template, items, 48);
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, out.resolve("sft").resolve("adapter"), "default");
      after = IncidentEval.score(pm.model(), tok, template, items, 48);
    }
    System.out.printf("%n== 5. held-out results (%d alerts)%n", items.size());
    System.out.printf("%-26s %12s %12s%n", "metric", "before SFT", "after SFT");
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "event type exact match", 100 * before.eventType(), 100 * after.eventType());
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "risk level exact match", 100 * before.riskLevel(), 100 * after.riskLevel());
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "format adherence", 100 * before.format(), 100 * after.format());
    System.out.println("sample after SFT: " + (after.samples().isEmpty() ? "-" : after.samples().get(0)));
    System.out.println("plots: " + out.resolve("pt/loss.png") + ", " + out.resolve("sft/loss.png")
        + "; metrics: " + out.resolve("sft/metrics.jsonl") + "; adapter (PEFT format): " + out.resolve("sft/adapter"));
    System.out.printf("done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  private static void report(SftRun.Summary s) {
    var st = s.result().steps();
    if (!st.isEmpty()) {
      double tps = st.stream().mapToDouble(x -> x.tokensPerSecond()).average().orElse(0);
      System.out.printf("   %s; loss %.3f -> %.3f over %d steps, %.0f tokens/s%n", s.encodeReport(), st.get(0).loss(),
          st.get(st.size() - 1).loss(), st.size(), tps);
    }
    for (double[] e : s.result().evals()) {
      System.out.printf("   step %.0f: eval loss %.3f (perplexity %.2f)%n", e[0], e[1], Math.exp(e[1]));
    }
  }

  private static String userText(Conversation c) {
    return c.turns().get(0).content();
  }

  private static List<Conversation> conversations(Path file) throws IOException {
    ExampleParser p = ExampleParser.of(DataFormat.ALPACA);
    List<Conversation> out = new ArrayList<>();
    try (JsonRecords r = JsonRecords.open(file)) {
      while (r.hasNext()) {
        SourceRecord rec = r.next();
        if (p.parse(rec) instanceof Conversation c) {
          out.add(c);
        }
      }
    }
    return out;
  }

  private static void require(int rc, String step) {
    if (rc != 0) {
      throw new IllegalStateException("data " + step + " failed (exit " + rc + ")");
    }
  }

}
