package dev.align4j.recipes.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.TinyIncident;
import dev.align4j.recipes.search.SearchRun;
import dev.align4j.recipes.search.SearchSpec;
import dev.align4j.recipes.search.Trial;
import dev.align4j.recipes.sft.SftRecipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j experiment search} on a tiny demo-shaped folder: the spec runs on the demo's model and
 * data (whatever paths its recipe names), the same spec twice gives the same CSV to the byte, each
 * table row is what the trial's own {@code metrics.jsonl} and {@code resolved_config.json} say, and
 * {@code results/search/} holds the report, the spec as run (itself a valid spec) and the command.
 */
class SearchExperimentTest {
  @TempDir static Path tmp;
  static Path demo;
  static Path spec;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void tinyDemo() throws Exception {
    TinyIncident task = TinyIncident.write(tmp, 12, 5, 2);
    demo = tmp.resolve("demo");
    Files.createDirectories(demo.resolve("data"));
    Files.copy(task.data(), demo.resolve("data/train.jsonl"));
    Files.copy(task.data(), demo.resolve("data/val.jsonl"));
    Files.createDirectories(demo.resolve("pt"));
    Files.createSymbolicLink(demo.resolve("pt/model"), task.model());
    // the base recipe names paths that do not exist: the experiment must replace them with the demo's
    Path recipe = tmp.resolve("base.yaml");
    Files.writeString(recipe, "model_name_or_path: nowhere/pt/model\ndataset: nowhere/train.jsonl\n"
        + "formatting: alpaca\nlora_rank: 4\nlora_alpha: 8\nper_device_train_batch_size: 4\nmax_steps: 2\n"
        + "eval_steps: 1\noutput_dir: nowhere/sft\n");
    spec = tmp.resolve("S.yaml");
    Files.writeString(spec, "stage: sft\nrecipe: " + recipe + "\n"
        + "overrides: {save_steps: 2}\n"
        + "objective: {metric: eval_loss, direction: minimise}\n"
        + "space:\n  learning_rate: {type: log_uniform, low: 1.0e-3, high: 1.0e-1}\n"
        + "  lora_dropout: {type: uniform, low: 0.0, high: 0.1}\n"
        + "strategy: {kind: bayesian, initial_trials: 2, candidates: 200}\n"
        + "pruner: {kind: median, warmup_steps: 1, min_trials: 1}\n"
        + "trials: 3\nseed: 7\noutput_dir: nowhere/search\nrunner: in_process\n");
  }

  @Test
  void twiceTheSameCsvAndEachRowIsTheTrialsOwnMetrics() throws Exception {
    Path out = tmp.resolve("results/search");
    Path work = tmp.resolve("work");
    SearchExperiment.Settings s = new SearchExperiment.Settings(demo, spec, out, work, null, null, "cpu");
    SearchExperiment.Outcome first = SearchExperiment.run(s);
    assertThat(first.result().stopped()).isFalse();
    byte[] csv = Files.readAllBytes(out.resolve("results.csv"));
    String md = Files.readString(out.resolve("results.md"));
    SearchExperiment.Outcome second = SearchExperiment.run(s);
    assertThat(Files.readAllBytes(out.resolve("results.csv"))).isEqualTo(csv);
    assertThat(Files.readString(out.resolve("results.md"))).isEqualTo(md);
    assertThat(second.result().trials()).hasSize(3);

    // the report under out is the search's own, verbatim
    for (String f : List.of("results.md", "results.csv", "objective.png", "best_recipe.yaml")) {
      assertThat(out.resolve(f)).as(f).hasSameBinaryContentAs(work.resolve(f));
    }
    List<String> rows = Files.readAllLines(out.resolve("results.csv"));
    assertThat(rows.get(0)).isEqualTo("trial,status,eval_loss,last_step,seed,learning_rate,lora_dropout");
    assertThat(rows).hasSize(4);
    int completed = 0;
    for (int i = 0; i < 3; i++) {
      String[] c = rows.get(i + 1).split(",");
      Path dir = SearchRun.trialDir(work, i);
      assertThat(c[0]).isEqualTo(Integer.toString(i));
      assertThat(c[1]).isIn("ok", "pruned");
      completed += c[1].equals("ok") ? 1 : 0;
      // the objective is the trial's eval_loss at the table's last step, as its own metrics.jsonl has it
      long step = Long.parseLong(c[3]);
      JsonNode row = Files.readAllLines(dir.resolve("metrics.jsonl")).stream().map(SearchExperimentTest::json)
          .filter(n -> n.has("eval_loss") && n.get("step").asLong() == step).findFirst().orElseThrow();
      assertThat(c[2]).isEqualTo(String.format(Locale.ROOT, "%.6g", row.get("eval_loss").asDouble()));
      if (c[1].equals("ok")) {
        assertThat(step).isEqualTo(2);
      }
      // the child ran on the demo's model and data with the trial's seed and values
      JsonNode resolved = JSON.readTree(dir.resolve("resolved_config.json").toFile());
      assertThat(resolved.get("model_name_or_path").asText()).isEqualTo(demo.resolve("pt/model").toString());
      assertThat(resolved.get("dataset").asText()).isEqualTo(demo.resolve("data/train.jsonl").toString());
      assertThat(resolved.get("eval_dataset").asText()).isEqualTo(demo.resolve("data/val.jsonl").toString());
      assertThat(resolved.get("seed").asLong()).isEqualTo(Long.parseLong(c[4]));
      assertThat(resolved.get("learning_rate").asDouble()).isEqualTo(Double.parseDouble(c[5]));
      assertThat(resolved.get("lora_dropout").asDouble()).isEqualTo(Double.parseDouble(c[6]));
    }
    assertThat(completed).isPositive();

    // the spec as run reruns the same search with `align4j search`, and the command names the settings
    SearchSpec asRun = SearchSpec.load(out.resolve(SearchExperiment.SPEC_AS_RUN));
    assertThat(asRun.outputDir()).isEqualTo(work);
    assertThat(asRun.overrides().get("model_name_or_path").asText()).isEqualTo(demo.resolve("pt/model").toString());
    assertThat(asRun.trials()).isEqualTo(3);
    assertThat(Files.readString(out.resolve(ResultsIndex.COMMAND)).strip())
        .isEqualTo("./align4j experiment search --demo " + demo + " --spec " + spec + " --out " + out + " --work " + work
            + " --device cpu");
    // the best recipe is an SFT recipe on the demo's model
    SftRecipe best = SftRecipe.load(out.resolve("best_recipe.yaml"), List.of());
    assertThat(best.modelNameOrPath()).isEqualTo(demo.resolve("pt/model").toString());
    Trial winner = second.result().best().orElseThrow();
    assertThat(best.seed()).isEqualTo(winner.seed());
  }

  @Test
  void theCommandOverridesTrialsAndStepsAndIndexesTheResults() throws Exception {
    Path results = tmp.resolve("cli-results");
    assertThat(Align4j.execute("experiment", "search", "--demo", demo.toString(), "--spec", spec.toString(),
        "--out", results.resolve("search").toString(), "--work", tmp.resolve("cli-work").toString(), "--trials", "1",
        "--max-steps", "1", "--device", "cpu")).isZero();
    List<String> rows = Files.readAllLines(results.resolve("search/results.csv"));
    assertThat(rows).hasSize(2);
    assertThat(rows.get(1)).startsWith("0,ok,");
    assertThat(rows.get(1).split(",")[3]).as("last step").isEqualTo("1");
    assertThat(Files.readString(results.resolve("README.md"))).contains("## " + Experiment.SEARCH.title())
        .contains("search/results.csv").contains("search/best_recipe.yaml").contains("./align4j experiment search");
  }

  @Test
  void aMissingDemoIsAnErrorNamingWhatIsMissing() {
    Path none = tmp.resolve("nothing");
    assertThatThrownBy(() -> SearchExperiment.run(new SearchExperiment.Settings(none, spec, tmp.resolve("o"),
        tmp.resolve("w"), null, null, null)))
        .hasMessageContaining(none.resolve("pt/model/config.json").toString()).hasMessageContaining("align4j demo");
  }

  private static JsonNode json(String line) {
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new IllegalStateException(line, e);
    }
  }
}
