package dev.align4j.recipes.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.peft.search.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search loop on a synthetic child (no model): trial i reports {@code eval_loss = (x - 0.3)^2 + 1/step}
 * at steps 1..10 and stops when the pruner says so, as a subprocess child does on SIGTERM.
 */
class SearchLoopTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** A child that writes its curve row by row, polling the stop like the subprocess runner. */
  static final class Synthetic implements TrialRunner {
    final List<List<String>> calls = new ArrayList<>();

    @Override
    public Outcome run(List<String> args, Path dir, BooleanSupplier stop) throws IOException {
      calls.add(args);
      double x = Double.NaN;
      for (String a : args) {
        if (a.startsWith("x=")) {
          x = Double.parseDouble(a.substring(2));
        }
      }
      if (x > 0.9) {
        return new Outcome(1, false, "align4j: error: synthetic failure at x=" + x);
      }
      Files.createDirectories(dir);
      Path m = dir.resolve("metrics.jsonl");
      Files.deleteIfExists(m);
      for (int step = 1; step <= 10; step++) {
        Files.writeString(m, String.format(Locale.ROOT, "{\"step\": %d, \"loss\": 9.0}%n{\"step\": %d, \"eval_loss\": %.17g}%n",
            step, step, c(x) + 1.0 / step), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (stop.getAsBoolean()) {
          return new Outcome(143, true, "");
        }
      }
      return new Outcome(0, false, "");
    }
  }

  static double c(double x) {
    return (x - 0.3) * (x - 0.3);
  }

  SearchSpec spec(String strategy, String pruner, int trials, Path out) throws IOException {
    Path recipe = tmp.resolve("base.yaml");
    Files.writeString(recipe, "model_name_or_path: m\ndataset: d.jsonl\nmax_steps: 10\n");
    String yaml = "stage: sft\nrecipe: " + recipe + "\noverrides: {eval_steps: 1}\n"
        + "objective: {metric: eval_loss, direction: minimise}\nspace: {x: {type: uniform, low: 0, high: 1}}\n"
        + "strategy: " + strategy + "\npruner: " + pruner + "\ntrials: " + trials + "\nseed: 11\noutput_dir: " + out + "\n";
    return SearchSpec.parse((ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(yaml), "S.yaml");
  }

  @Test
  void medianRuleStopsTrialsWorseThanTheCompletedMedian() throws Exception {
    Path out = tmp.resolve("median");
    Synthetic child = new Synthetic();
    SearchRun.Result r = SearchRun.run(spec("random", "{kind: median, warmup_steps: 2, min_trials: 1}", 8, out), child);
    // all curves are c(x) + 1/step: a trial is worse than the median at every step iff its offset
    // c(x) is above the median offset of the completed trials; so it stops at step 2, the first checked
    List<Double> completed = new ArrayList<>();
    int failed = 0;
    for (Trial t : r.trials()) {
      double x = t.params().get("x").asDouble();
      if (x > 0.9) {
        assertThat(t.status()).isEqualTo(Trial.Status.FAILED);
        assertThat(t.error()).contains("synthetic failure");
        failed++;
        continue;
      }
      double med = median(completed);
      boolean prune = completed.size() >= 1 && c(x) > med;
      assertThat(t.status()).as("trial %d x=%.3f median offset %.4f", t.index(), x, med)
          .isEqualTo(prune ? Trial.Status.PRUNED : Trial.Status.OK);
      if (prune) {
        assertThat(t.steps()).containsExactly(1, 2);
        assertThat(t.objective()).isEqualTo(c(x) + 0.5);
        // the child was stopped there: its log ends at step 2
        assertThat(Files.readAllLines(SearchRun.trialDir(out, t.index()).resolve("metrics.jsonl"))).hasSize(4);
      } else {
        completed.add(c(x));
        assertThat(t.objective()).isEqualTo(c(x) + 0.1);
        assertThat(t.steps()).hasSize(10);
      }
      assertThat(t.seed()).isEqualTo(Seeds.trialSeed(11, t.index()));
      assertThat(child.calls.get(t.index())).contains("seed=" + t.seed(), "eval_steps=1",
          "output_dir=" + SearchRun.trialDir(out, t.index()));
    }
    assertThat(r.trials().stream().filter(t -> t.status() == Trial.Status.PRUNED)).as("some pruned").isNotEmpty();
    assertThat(r.trials().stream().filter(t -> t.status() == Trial.Status.OK).count()).isGreaterThan(1);
    // the report: the best completed trial, in the table, the CSV and the recipe
    Trial best = r.best().orElseThrow();
    for (Trial t : r.trials()) {
      if (t.status() == Trial.Status.OK) {
        assertThat(best.objective()).isLessThanOrEqualTo(t.objective());
      }
    }
    assertThat(Files.readAllLines(out.resolve("search.jsonl"))).hasSize(8);
    assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(9).first().isEqualTo("trial,status,eval_loss,last_step,seed,x");
    assertThat(Files.readString(out.resolve("results.md"))).contains(String.format("| %03d (best) | ok |", best.index()));
    assertThat(out.resolve("objective.png")).isNotEmptyFile();
    var recipe = new ObjectMapper(new YAMLFactory()).readTree(out.resolve("best_recipe.yaml").toFile());
    assertThat(recipe.get("x").asDouble()).isEqualTo(best.params().get("x").asDouble());
    assertThat(recipe.get("seed").asLong()).isEqualTo(best.seed());
    assertThat(recipe.get("eval_steps").asInt()).isEqualTo(1);
    assertThat(recipe.get("model_name_or_path").asText()).isEqualTo("m");
  }

  @Test
  void aChildThatCannotBeStoppedGetsTheSameVerdict() throws Exception {
    // in-process children run to the end; the pruner's replay over the whole log must record what a
    // stopped child records
    Path stopped = tmp.resolve("stopped");
    Path whole = tmp.resolve("unstoppable");
    String pruner = "{kind: median, warmup_steps: 2, min_trials: 1}";
    SearchRun.run(spec("random", pruner, 8, stopped), new Synthetic());
    Synthetic child = new Synthetic();
    SearchRun.run(spec("random", pruner, 8, whole), (args, dir, stop) -> child.run(args, dir, () -> false));
    assertThat(Files.readString(whole.resolve("search.jsonl")).replace(whole.toString(), "D"))
        .isEqualTo(Files.readString(stopped.resolve("search.jsonl")).replace(stopped.toString(), "D"))
        .contains("\"pruned\"");
  }

  static double median(List<Double> v) {
    List<Double> s = v.stream().sorted().toList();
    int m = s.size() / 2;
    return s.isEmpty() ? Double.NaN : s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
  }

  @Test
  void successiveHalvingStopsTrialsOutsideTheTopOfARung() throws Exception {
    Path out = tmp.resolve("sh");
    SearchRun.Result r = SearchRun.run(spec("{kind: grid, points: 5}", "{kind: successive_halving, min_steps: 2, eta: 2}", 5, out),
        new Synthetic());
    // x = 0, 0.25, 0.5, 0.75, 1.0; offsets 0.09, 0.0025, 0.04, 0.2025, (fails); rungs 2, 4, 8:
    // trial 0 alone: ok; trial 1 best everywhere: ok; trial 2 at rung 2 ranks 2nd of 3 (keep 2): on;
    // at rung 4 again 2nd of 3: on; at rung 8 2nd of 3: ok. trial 3 is last of 4 at rung 2 (keep 2): pruned at 2.
    assertThat(r.trials().stream().map(Trial::status).toList()).containsExactly(Trial.Status.OK, Trial.Status.OK,
        Trial.Status.OK, Trial.Status.PRUNED, Trial.Status.FAILED);
    assertThat(r.trials().get(3).steps()).containsExactly(1, 2);
    assertThat(r.best().orElseThrow().index()).isEqualTo(1);
  }

  @Test
  void resumeGivesTheSameTrials() throws Exception {
    String bo = "{kind: bayesian, initial_trials: 2, candidates: 300}";
    String pruner = "{kind: median, warmup_steps: 3, min_trials: 2}";
    Path whole = tmp.resolve("whole");
    SearchRun.run(spec(bo, pruner, 6, whole), new Synthetic());
    // the same search interrupted after 3 trials, with a torn 4th line (a crash while appending), then rerun
    Path cut = tmp.resolve("cut");
    SearchRun.run(spec(bo, pruner, 3, cut), new Synthetic());
    Files.writeString(cut.resolve("search.jsonl"), "{\"trial\": 3, \"point\": [0.1", StandardOpenOption.APPEND);
    Synthetic again = new Synthetic();
    SearchRun.Result r = SearchRun.run(spec(bo, pruner, 6, cut), again);
    assertThat(again.calls).as("only the unfinished trials run").hasSize(3);
    assertThat(Files.readString(cut.resolve("search.jsonl")).replace(cut.toString(), "D"))
        .isEqualTo(Files.readString(whole.resolve("search.jsonl")).replace(whole.toString(), "D"));
    assertThat(r.trials()).hasSize(6);
    // the Bayesian trials really depended on the history: not the random proposals of the same seed
    assertThat(r.trials().get(4).point()).isNotEqualTo(
        new dev.align4j.peft.search.Strategy.Random().propose(4, List.of(), spec(bo, pruner, 6, cut).space(), 11));
    // another spec in the same folder is refused, naming the difference; only trials may change
    assertThatThrownBy(() -> SearchRun.run(spec("random", pruner, 6, cut), new Synthetic()))
        .hasMessageContaining("another spec").hasMessageContaining("strategy");
    // a record that no longer matches the strategy's proposals (a hand-edited point) is refused
    String text = Files.readString(cut.resolve("search.jsonl"));
    Files.writeString(cut.resolve("search.jsonl"), text.replaceFirst("\"point\":\\[0\\.", "\"point\":[0.0"));
    assertThatThrownBy(() -> SearchRun.run(spec(bo, pruner, 6, cut), new Synthetic())).hasMessageContaining("proposed differently");
  }

  @Test
  void aFailingFirstTrialStopsTheSearchWithItsError() throws Exception {
    Path out = tmp.resolve("fail");
    SearchSpec s = spec("random", "none", 3, out);
    TrialRunner failing = (args, dir, stop) -> new TrialRunner.Outcome(1, false, "align4j: error: r.yaml: unknown key 'lora_rnak'");
    assertThatThrownBy(() -> SearchRun.run(s, failing)).hasMessageContaining("search trial 0 failed").hasMessageContaining("lora_rnak");
    assertThat(out.resolve("search.jsonl")).doesNotExist();
    TrialRunner silent = (args, dir, stop) -> {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\": 1, \"loss\": 2.0}\n");
      return new TrialRunner.Outcome(0, false, "");
    };
    assertThatThrownBy(() -> SearchRun.run(s, silent)).hasMessageContaining("metric 'eval_loss' not found")
        .hasMessageContaining("fields: loss, step");
  }
}
