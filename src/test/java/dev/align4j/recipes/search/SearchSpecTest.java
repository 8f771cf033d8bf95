package dev.align4j.recipes.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.peft.search.BayesianSearch;
import dev.align4j.peft.search.Direction;
import dev.align4j.peft.search.GeneticSearch;
import dev.align4j.peft.search.Kernel;
import dev.align4j.peft.search.Param;
import dev.align4j.peft.search.Pruner;
import dev.align4j.peft.search.Strategy;
import dev.align4j.recipes.sft.SftRecipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search spec: every field read, unknown keys refused by name, overrides that round-trip through key=value. */
class SearchSpecTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static SearchSpec parse(String yaml) throws Exception {
    return SearchSpec.parse((ObjectNode) YAML.readTree(yaml), "S.yaml");
  }

  static final String FULL = """
      stage: sft
      recipe: r.yaml
      overrides: {max_steps: 50, eval_steps: 10}
      objective: {metric: eval_accuracy, direction: maximise}
      space:
        learning_rate: {type: log_uniform, low: 1e-5, high: 1.0e-2}
        lora_dropout: {type: uniform, low: 0, high: 0.2}
        lora_rank: {type: int, low: 4, high: 64, log: true}
        lr_scheduler_type: {type: categorical, choices: [cosine, linear]}
      strategy: {kind: bayesian, initial_trials: 4, candidates: 100, kernel: rbf, xi: 0.0, length_scale: 0.3, noise: 1e-4}
      pruner: {kind: successive_halving, min_steps: 10, eta: 3}
      trials: 12
      seed: 7
      output_dir: runs/s
      runner: in_process
      """;

  @Test
  void readsEveryField() throws Exception {
    SearchSpec s = parse(FULL);
    assertThat(s.stage()).isEqualTo("sft");
    assertThat(s.recipe()).isEqualTo(Path.of("r.yaml"));
    assertThat(s.metric()).isEqualTo("eval_accuracy");
    assertThat(s.direction()).isEqualTo(Direction.MAXIMISE);
    assertThat(s.space().params()).containsExactly(
        Map.entry("learning_rate", new Param.LogUniform(1e-5, 1e-2)), Map.entry("lora_dropout", new Param.Uniform(0, 0.2)),
        Map.entry("lora_rank", new Param.IntRange(4, 64, true)),
        Map.entry("lr_scheduler_type", new Param.Categorical(List.of(YAML.readTree("cosine"), YAML.readTree("linear")))));
    assertThat(s.strategy()).isEqualTo(new BayesianSearch(4, 100, Kernel.RBF, 0.0, 0.3, 1e-4));
    assertThat(s.pruner()).isEqualTo(new Pruner.SuccessiveHalving(10, 3));
    assertThat(s.trials()).isEqualTo(12);
    assertThat(s.seed()).isEqualTo(7);
    assertThat(s.outputDir()).isEqualTo(Path.of("runs/s"));
    assertThat(s.runner()).isEqualTo(SearchSpec.Runner.IN_PROCESS);
    SearchSpec g = parse("recipe: r.yaml\nobjective: {metric: eval_loss, direction: minimise}\n"
        + "space: {x: {type: categorical, choices: [1, 2, 3]}, y: {type: uniform, low: 0, high: 1}}\n"
        + "strategy: {kind: grid, points: 2}\npruner: {kind: median, warmup_steps: 5}\n");
    assertThat(g.strategy()).isEqualTo(new Strategy.Grid(2));
    assertThat(g.trials()).as("a grid defaults to its size").isEqualTo(6);
    assertThat(g.pruner()).isEqualTo(new Pruner.MedianRule(5, 2));
    assertThat(g.runner()).isEqualTo(SearchSpec.Runner.SUBPROCESS);
    SearchSpec ga = parse("recipe: r.yaml\nobjective: {metric: loss, direction: minimise}\nspace: {x: {type: uniform, low: 0, high: 1}}\n"
        + "strategy: genetic\ntrials: 4\n");
    assertThat(ga.strategy()).isEqualTo(new GeneticSearch(8, 3, 0.9, 0.2, 0.1));
    assertThat(ga.pruner()).isEqualTo(new Pruner.None());
  }

  @Test
  void unknownKeysAndBadValuesAreNamed() {
    String base = "recipe: r.yaml\nobjective: {metric: eval_loss, direction: minimise}\nspace: {x: {type: uniform, low: 0, high: 1}}\ntrials: 3\n";
    assertThatThrownBy(() -> parse(base + "trails: 3\n")).hasMessageContaining("S.yaml: unknown key 'trails'")
        .hasMessageContaining("trials");
    assertThatThrownBy(() -> parse(base + "strategy: {kind: genetic, populaton: 4}\n"))
        .hasMessageContaining("S.yaml: unknown key 'strategy.populaton'").hasMessageContaining("population");
    assertThatThrownBy(() -> parse(base.replace("high: 1}", "high: 1, lgo: true}")))
        .hasMessageContaining("unknown key 'space.x.lgo'");
    assertThatThrownBy(() -> parse(base.replace("minimise", "down"))).hasMessageContaining("objective.direction must be one of minimise | maximise");
    assertThatThrownBy(() -> parse(base.replace("uniform", "gaussian"))).hasMessageContaining("space.x.type must be one of");
    assertThatThrownBy(() -> parse(base.replace("low: 0, high: 1", "low: 1, high: 0"))).hasMessageContaining("space.x")
        .hasMessageContaining("low < high");
    assertThatThrownBy(() -> parse(base + "strategy: annealing\n")).hasMessageContaining("strategy.kind must be one of grid | random | bayesian | genetic");
    assertThatThrownBy(() -> parse(base + "pruner: {kind: median, min_trials: many}\n")).hasMessageContaining("pruner.min_trials must be a number");
    assertThatThrownBy(() -> parse(base.replace("trials: 3\n", ""))).hasMessageContaining("S.yaml: trials is required");
    assertThatThrownBy(() -> parse(base + "overrides: {x: 1}\n")).hasMessageContaining("'x' is both searched");
    assertThatThrownBy(() -> parse(base + "overrides: {output_dir: o}\n")).hasMessageContaining("output_dir");
    assertThatThrownBy(() -> parse(base.replace("trials: 3", "trials: 9") + "strategy: {kind: grid, points: 2}\n"))
        .hasMessageContaining("exceeds the grid's 2 points");
    assertThatThrownBy(() -> SearchRun.requireStage("frobnicate")).hasMessageContaining("stage 'frobnicate'")
        .hasMessageContaining("sft").hasMessageContaining("pt");
  }

  @Test
  void trialOverridesRoundTripThroughTheRecipeParser(@TempDir Path tmp) throws Exception {
    SearchSpec s = parse(FULL);
    Path recipe = tmp.resolve("r.yaml");
    Files.writeString(recipe, "model_name_or_path: m\ndataset: d.jsonl\n");
    var params = s.space().decode(new double[] {0.25, 0.5, 0.5, 0.9});
    SftRecipe r = SftRecipe.load(recipe, s.trialOverrides(params, 123, tmp.resolve("t")));
    assertThat(r.learningRate()).isEqualTo(params.get("learning_rate").asDouble());
    assertThat(r.loraDropout()).isEqualTo(0.1);
    assertThat(r.loraRank()).isEqualTo(16);
    assertThat(r.lrSchedulerType().name()).isEqualToIgnoringCase("linear");
    assertThat(r.maxSteps()).isEqualTo(50);
    assertThat(r.seed()).isEqualTo(123);
    assertThat(r.outputDir()).isEqualTo(tmp.resolve("t").toString());
    // text that YAML would read as another type stays text; large and tiny reals stay reals
    assertThat(SearchSpec.flow(YAML.readTree("'true'"))).isEqualTo("\"true\"");
    assertThat(SearchSpec.flow(YAML.readTree("q_proj,v_proj"))).isEqualTo("q_proj,v_proj");
    assertThat(YAML.readTree(SearchSpec.flow(YAML.readTree("1.0e+10"))).isNumber()).isTrue();
    assertThat(YAML.readTree(SearchSpec.flow(YAML.readTree("1.0e-7"))).doubleValue()).isEqualTo(1e-7);
  }

  @Test
  void theCommittedDemoSpecAndTheReadmeExampleParseAlike() throws Exception {
    SearchSpec file = SearchSpec.load(Path.of("recipes/search_demo_sft.yaml"));
    assertThat(file.recipe()).exists();
    for (String k : file.space().names()) {      // every searched and fixed key is an SFT recipe key
      assertThat(SftRecipe.SCHEMA.key(k)).isNotNull();
    }
    file.overrides().keySet().forEach(SftRecipe.SCHEMA::key);
    String readme = Files.readString(Path.of("README.md"));
    int at = readme.indexOf("```yaml", readme.indexOf("## Hyper-parameter search"));
    String block = readme.substring(readme.indexOf('\n', at) + 1, readme.indexOf("```", at + 7));
    SearchSpec shown = parse(block);
    assertThat(shown.space()).isEqualTo(file.space());
    assertThat(shown.overrides()).isEqualTo(file.overrides());
    assertThat(List.of(shown.strategy(), shown.pruner(), shown.trials(), shown.seed(), shown.metric(), shown.outputDir()))
        .isEqualTo(List.of(file.strategy(), file.pruner(), file.trials(), file.seed(), file.metric(), file.outputDir()));
  }
}
