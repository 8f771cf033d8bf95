package dev.align4j.recipes.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.search.Seeds;
import dev.align4j.peft.train.TrainingCheckpoint;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.TinySft;
import dev.align4j.recipes.sft.SftRecipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j search} over real (tiny) SFT children: artifacts, objectives from the children's logs, the best recipe reruns. */
class SearchSftTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;
  static Path recipe;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void setUp() throws Exception {
    TinySft tiny = TinySft.write(tmp, 2);
    model = tiny.model();
    data = tiny.data();
    recipe = tmp.resolve("base.yaml");
    Files.writeString(recipe, "model_name_or_path: " + model + "\ndataset: " + data
        + "\nlora_alpha: 8\nper_device_train_batch_size: 2\nmax_steps: 3\nsave_steps: 3\n");
  }

  @Test
  void threeTinySftTrialsAndTheBestRecipeReruns() throws Exception {
    Path out = tmp.resolve("search");
    Path spec = tmp.resolve("S.yaml");
    Files.writeString(spec, "stage: sft\nrecipe: " + recipe + "\n"
        + "objective: {metric: loss, direction: minimise}\n"
        + "space:\n  learning_rate: {type: log_uniform, low: 1.0e-3, high: 1.0e-1}\n"
        + "  lora_rank: {type: categorical, choices: [2, 4]}\n"
        + "strategy: {kind: bayesian, initial_trials: 2, candidates: 200}\n"
        + "trials: 3\nseed: 5\noutput_dir: " + out + "\nrunner: in_process\n");
    assertThat(Align4j.execute("search", "--config", spec.toString())).isZero();
    List<String> lines = Files.readAllLines(out.resolve("search.jsonl"));
    assertThat(lines).hasSize(3);
    double bestObjective = Double.MAX_VALUE;
    JsonNode best = null;
    for (int i = 0; i < 3; i++) {
      JsonNode t = JSON.readTree(lines.get(i));
      Path dir = SearchRun.trialDir(out, i);
      assertThat(t.get("status").asText()).isEqualTo("ok");
      // the objective is the child's last training loss (an eval set would add sample generations to
      // every evaluation: too slow for a unit test); the child ran with the trial's values and seed
      List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
      JsonNode last = JSON.readTree(metrics.get(metrics.size() - 1));
      assertThat(last.get("step").asLong()).isEqualTo(3);
      assertThat(t.get("objective").asDouble()).isEqualTo(last.get("loss").asDouble());
      assertThat(t.get("curve")).hasSize(3);
      JsonNode resolved = JSON.readTree(dir.resolve("resolved_config.json").toFile());
      String text = resolved.toString();
      assertThat(text).contains("\"seed\":" + Seeds.trialSeed(5, i));
      assertThat(text).contains("\"lora_rank\":" + t.get("params").get("lora_rank").asInt());
      assertThat(text).contains("\"learning_rate\":" + t.get("params").get("learning_rate").asDouble());
      assertThat(dir.resolve("adapter/adapter_model.safetensors")).exists();
      if (t.get("objective").asDouble() < bestObjective) {
        bestObjective = t.get("objective").asDouble();
        best = t;
      }
    }
    for (String f : List.of("results.md", "results.csv", "objective.png", "best_recipe.yaml", "search_spec.json")) {
      assertThat(out.resolve(f)).as(f).isNotEmptyFile();
    }
    // the best recipe is a valid SFT recipe with the best trial's values and seed, and rerunning it
    // gives the same loss to the last bit (same machine)
    SftRecipe r = SftRecipe.load(out.resolve("best_recipe.yaml"), List.of("output_dir=" + tmp.resolve("rerun")));
    assertThat(r.learningRate()).isEqualTo(best.get("params").get("learning_rate").asDouble());
    assertThat(r.loraRank()).isEqualTo(best.get("params").get("lora_rank").asInt());
    assertThat(r.seed()).isEqualTo(best.get("seed").asLong());
    assertThat(Align4j.execute("sft", "--config", out.resolve("best_recipe.yaml").toString(),
        "output_dir=" + tmp.resolve("rerun"))).isZero();
    List<String> rerunLog = Files.readAllLines(tmp.resolve("rerun/metrics.jsonl"));
    double rerun = JSON.readTree(rerunLog.get(rerunLog.size() - 1)).get("loss").asDouble();
    assertThat(rerun).isEqualTo(bestObjective);
    // rerunning the finished search runs nothing and keeps the record
    assertThat(Align4j.execute("search", "--config", spec.toString())).isZero();
    assertThat(Files.readAllLines(out.resolve("search.jsonl"))).isEqualTo(lines);
  }

  @Test
  void aSubprocessChildStopsOnRequestWithACheckpoint() throws Exception {
    Path dir = tmp.resolve("sub");
    List<String> args = List.of("sft", "--config", recipe.toString(), "max_steps=100000", "save_steps=100000",
        "output_dir=" + dir);
    TrialRunner.Outcome o = new TrialRunner.Subprocess().run(args, dir,
        () -> SearchRun.readCurve(dir.resolve("metrics.jsonl"), "loss")[0].length >= 2);
    assertThat(o.exitCode()).as("SIGTERM: checkpoint and exit 143").isEqualTo(143);
    assertThat(o.stoppedByUs()).isTrue();
    long steps = SearchRun.readCurve(dir.resolve("metrics.jsonl"), "loss")[0].length;
    assertThat(steps).isBetween(2L, 99_999L);
    assertThat(TrainingCheckpoint.latest(dir.resolve("checkpoints"))).isPresent();
    assertThat(Files.readString(dir.resolve("stderr.log"))).contains("SIGTERM");
  }
}
