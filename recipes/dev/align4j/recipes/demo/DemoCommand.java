package dev.align4j.recipes.demo;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.recipes.pipeline.PipelineRecipe;
import dev.align4j.recipes.pipeline.PipelineRun;
import dev.align4j.recipes.pipeline.StageMarker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code align4j demo}: the main job on the embedded default, as the pipeline {@code
 * recipes/pipeline_demo.yaml}. A synthetic security-monitoring task (Chinese alerts in, a structured
 * report out) is generated, validated, cleaned of personal data, deduplicated and split; a tiny
 * Qwen3-shaped model with a character tokenizer is continued-pretrained on the raw alerts, then
 * LoRA-SFT'd on the task; a LoRA reward model learns the task's preference pairs; DPO, PPO (with that
 * reward model) and GRPO (with the task's judge) start from the SFT adapter; every policy is scored on
 * held-out alerts. A rerun resumes where the last one stopped ({@code --fresh} starts over).
 */
@Command(name = "demo", description = "The main job on the embedded default: data tooling, continued pre-training, LoRA SFT,"
    + " a reward model, DPO, PPO and GRPO of a tiny model on a synthetic incident-analysis task, as one resumable"
    + " pipeline (recipes/pipeline_demo.yaml); prints held-out scores of every policy.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "runs/demo", description = "working directory (default: ${DEFAULT-VALUE})") Path out;
  @Option(names = "--config", defaultValue = "recipes/pipeline_demo.yaml", description = "the pipeline (default: ${DEFAULT-VALUE})")
  Path config;
  @Option(names = "--fresh", description = "delete the working directory first (default: resume a run that stopped)") boolean fresh;
  @Option(names = "--examples", description = "synthetic examples to generate (data.examples)") Integer examples;
  @Option(names = "--pt-steps", description = "continued pre-training steps (pt.max_steps)") Long ptSteps;
  @Option(names = "--sft-steps", description = "SFT steps (sft.max_steps)") Long sftSteps;
  @Option(names = "--seed", description = "the pipeline's seed") Long seed;
  @Parameters(description = "pipeline overrides: STAGE.KEY=VALUE (e.g. dpo.max_steps=30)") List<String> overrides = new ArrayList<>();
  @Mixin DeviceOption deviceOption;

  /** Marks a directory the demo owns (and may delete). */
  static final String MARKER = ".align4j-demo";

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    Device device = deviceOption.device();
    prepare();
    List<String> all = new ArrayList<>(List.of("output_dir=" + out));
    if (seed != null) {
      all.add("seed=" + seed);
    }
    if (examples != null) {
      all.add("data.examples=" + examples);
    }
    if (ptSteps != null) {
      all.add("pt.max_steps=" + ptSteps);
    }
    if (sftSteps != null) {
      all.add("sft.max_steps=" + sftSteps);
    }
    all.addAll(overrides);
    PipelineRecipe p = PipelineRecipe.load(config, all);
    PipelineRun.Result r;
    try {
      r = PipelineRun.run(p, device);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().contains("finished with another recipe")) {
        throw new IllegalArgumentException(e.getMessage() + "; `align4j demo --fresh` starts the demo over", e);
      }
      throw e;
    }
    if (r.stopped()) {
      return StopSignal.exitCode();
    }
    printSftTable(r);
    System.out.println("report: " + out.resolve("report.md") + " (and report.json); plots: " + out.resolve("pt/loss.png")
        + ", " + out.resolve("sft/loss.png") + ", ...; SFT adapter (PEFT format): " + out.resolve("sft/adapter"));
    System.out.printf("done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /**
   * The working directory: refused when it holds something else; deleted when asked, or when an
   * earlier version of the demo (no pipeline state) left it.
   */
  private void prepare() throws IOException {
    Path marker = out.resolve(MARKER);
    if (Files.exists(out) && !Files.exists(marker)) {
      try (Stream<Path> s = Files.list(out)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " exists and is not a demo directory; choose another --out");
        }
      }
    }
    if (Files.exists(out) && (fresh || !Files.isDirectory(out.resolve("stages")))) {
      try (Stream<Path> walk = Files.walk(out)) {
        for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(q);
        }
      }
    }
    Files.createDirectories(out);
    Files.writeString(marker, "working directory of align4j demo (a pipeline: a rerun resumes it; --fresh deletes it)\n");
  }

  /** The table the demo printed before it was a pipeline: the held-out scores before and after SFT. */
  private static void printSftTable(PipelineRun.Result r) throws IOException {
    StageMarker eval = r.stages().stream().filter(s -> s.kind().id().equals("eval")).reduce((a, b) -> b).orElse(null);
    if (eval == null || !eval.metrics().containsKey("base/format") || !eval.metrics().containsKey("sft/format")) {
      return;
    }
    Map<String, Double> m = eval.metrics();
    JsonNode json = new ObjectMapper().readTree(Path.of(eval.outputs().get("results")).toFile());
    System.out.printf("%n== held-out results before and after SFT (%d alerts)%n", json.path("alerts").asInt());
    System.out.printf("%-26s %12s %12s%n", "metric", "before SFT", "after SFT");
    for (String[] row : new String[][] {{"event type exact match", "event_type"}, {"risk level exact match", "risk_level"},
        {"format adherence", "format"}}) {
      System.out.printf("%-26s %11.1f%% %11.1f%%%n", row[0], 100 * m.get("base/" + row[1]), 100 * m.get("sft/" + row[1]));
    }
    String sample = json.path("policies").path("sft").path("sample").asText("");
    System.out.println("sample after SFT: " + (sample.isEmpty() ? "-" : sample));
  }
}
