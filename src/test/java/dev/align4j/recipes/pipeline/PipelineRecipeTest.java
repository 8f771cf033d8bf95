package dev.align4j.recipes.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipeline recipes: references resolved in order; every mistake named by file, stage and key before anything runs. */
class PipelineRecipeTest {
  @TempDir Path tmp;

  private static final String GOOD = """
      output_dir: OUT
      seed: 3
      stages:
        - name: data
          kind: incident_data
        - name: base
          kind: char_model
          overrides: {datasets: "${data.train},${data.val}"}
        - name: sft
          kind: sft
          recipe: recipes/demo_sft.yaml
          overrides: {model_name_or_path: "${base.model}", dataset: "${data.train}", max_steps: 7}
        - name: dpo
          kind: dpo
          recipe: recipes/demo_dpo.yaml
          overrides: {model_name_or_path: "${sft.base}", adapter_name_or_path: "${sft.adapter}", dataset: "${data.pairs_train}"}
      """;

  private Path write(String text) throws IOException {
    Path yaml = tmp.resolve("p.yaml");
    Files.writeString(yaml, text.replace("OUT", tmp.resolve("out").toString()));
    return yaml;
  }

  private List<ResolvedStage> resolve(String text, String... overrides) throws IOException {
    return ResolvedStage.resolveAll(PipelineRecipe.load(write(text), List.of(overrides)));
  }

  @Test
  void resolvesReferencesSeedAndOutputDirs() throws IOException {
    List<ResolvedStage> s = resolve(GOOD, "dpo.max_steps=5", "seed=9");
    Path out = tmp.resolve("out");
    assertThat(s).extracting(ResolvedStage::name).containsExactly("data", "base", "sft", "dpo");
    assertThat(s.get(1).config().get("datasets").asText())
        .isEqualTo(out.resolve("data/train.jsonl") + "," + out.resolve("data/val.jsonl"));
    assertThat(s.get(2).config().get("model_name_or_path").asText()).isEqualTo(out.resolve("base").toString());
    assertThat(s.get(2).config().get("output_dir").asText()).isEqualTo(out.resolve("sft").toString());
    assertThat(s.get(2).config().get("max_steps").asLong()).isEqualTo(7);
    assertThat(s.get(2).config().get("seed").asLong()).isEqualTo(9);            // the pipeline's seed over the recipe's 42
    assertThat(s.get(2).config().get("lora_rank").asInt()).isEqualTo(32);        // from recipes/demo_sft.yaml
    assertThat(s.get(3).config().get("adapter_name_or_path").asText()).isEqualTo(out.resolve("sft/adapter").toString());
    assertThat(s.get(3).config().get("model_name_or_path").asText()).isEqualTo(out.resolve("base").toString());
    assertThat(s.get(3).config().get("max_steps").asLong()).isEqualTo(5);
    // the hash is a function of the resolved config: the same recipe twice, the same hash; one key changed, another
    assertThat(resolve(GOOD, "dpo.max_steps=5", "seed=9").get(3).hash()).isEqualTo(s.get(3).hash());
    assertThat(resolve(GOOD, "dpo.max_steps=6", "seed=9").get(3).hash()).isNotEqualTo(s.get(3).hash());
  }

  @Test
  void badRecipesNameFileStageAndKey() throws IOException {
    String file = tmp.resolve("p.yaml").toString();
    assertThatThrownBy(() -> resolve(GOOD.replace("seed: 3", "seeds: 3")))
        .hasMessageContaining(file).hasMessageContaining("unknown key 'seeds'");
    assertThatThrownBy(() -> resolve(GOOD.replace("    kind: incident_data", "    kind: incident_data\n    steps: 3")))
        .hasMessageContaining(file + ": stages[0] (data)").hasMessageContaining("unknown key 'steps'");
    assertThatThrownBy(() -> resolve(GOOD.replace("kind: dpo", "kind: dpoo")))
        .hasMessageContaining(file + ": stages[3] (dpo)").hasMessageContaining("unknown kind 'dpoo'")
        .hasMessageContaining("grpo");
    assertThatThrownBy(() -> resolve(GOOD.replace("max_steps: 7", "max_step: 7")))
        .hasMessageContaining(file + ": stage 'sft' (sft)").hasMessageContaining("max_step");
    assertThatThrownBy(() -> resolve(GOOD.replace("max_steps: 7", "max_steps: many")))
        .hasMessageContaining("stage 'sft' (sft)").hasMessageContaining("max_steps");
    assertThatThrownBy(() -> resolve(GOOD.replace("${sft.adapter}", "${sftt.adapter}")))
        .hasMessageContaining("stage 'dpo' (dpo): overrides.adapter_name_or_path: ${sftt.adapter}: no earlier stage 'sftt'");
    assertThatThrownBy(() -> resolve(GOOD.replace("${base.model}", "${dpo.adapter}")))
        .hasMessageContaining("stage 'sft' (sft): overrides.model_name_or_path: ${dpo.adapter}: no earlier stage 'dpo'");
    assertThatThrownBy(() -> resolve(GOOD.replace("${sft.adapter}", "${sft.model}")))
        .hasMessageContaining("stage 'sft' (sft) has no output 'model' (it has: output_dir, adapter, base)");
    assertThatThrownBy(() -> resolve(GOOD.replace("max_steps: 7", "output_dir: x")))
        .hasMessageContaining("stage 'sft' (sft): overrides.output_dir: the pipeline sets it");
    assertThatThrownBy(() -> resolve(GOOD.replace("name: dpo", "name: sft")))
        .hasMessageContaining(file + ": stages: the name 'sft' is used twice");
    assertThatThrownBy(() -> resolve(GOOD.replace("    recipe: recipes/demo_sft.yaml\n", "")))
        .hasMessageContaining("stage 'sft' (sft): recipe is required");
    assertThatThrownBy(() -> resolve(GOOD.replace("recipes/demo_sft.yaml", "recipes/nope.yaml")))
        .hasMessageContaining("stage 'sft' (sft): recipe recipes/nope.yaml: no such file");
    assertThatThrownBy(() -> resolve(GOOD, "rm.max_steps=3"))
        .hasMessageContaining("override 'rm.max_steps=3': no stage 'rm'");
    assertThatThrownBy(() -> resolve(GOOD, "steps=3")).hasMessageContaining("override 'steps=3': unknown key 'steps'");
    assertThatThrownBy(() -> resolve("output_dir: x\nstages: []\n")).hasMessageContaining(file + ": stages: at least one stage");
    assertThatThrownBy(() -> resolve("stages: [1]\n")).hasMessageContaining(file + ": output_dir is required");
    assertThatThrownBy(() -> resolve("output_dir: [x\n")).hasMessageContaining(file + ": not valid YAML");
  }
}
