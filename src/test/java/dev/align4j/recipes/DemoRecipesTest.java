package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.recipes.dpo.DpoRecipe;
import dev.align4j.recipes.rl.RlRecipe;
import dev.align4j.recipes.pipeline.PipelineRecipe;
import dev.align4j.recipes.pipeline.ResolvedStage;
import dev.align4j.recipes.rm.RmRecipe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The demo pipeline's stage recipes parse with their stage's keys and are wired to each other: the
 * reward model is a LoRA adapter of the policy's own base (PPO loads it onto that base), PPO reads what
 * the reward-model recipe writes, and every path lies under runs/demo, where the pipeline rewrites it.
 */
class DemoRecipesTest {
  private static final String DEMO = "runs/demo/";

  @Test
  void demoStageRecipesShareTheBaseAndFeedEachOther() throws IOException {
    RmRecipe rm = RmRecipe.load(Path.of("recipes/demo_rm.yaml"), List.of());
    DpoRecipe dpo = DpoRecipe.load(Path.of("recipes/demo_dpo.yaml"), List.of());
    RlRecipe ppo = RlRecipe.load(Path.of("recipes/ppo_incident.yaml"), List.of());
    RlRecipe grpo = RlRecipe.load(Path.of("recipes/grpo_incident.yaml"), List.of());

    String base = DEMO + "pt/model";
    assertThat(List.of(rm.modelNameOrPath(), dpo.modelNameOrPath(), ppo.modelNameOrPath(), grpo.modelNameOrPath()))
        .containsOnly(base);
    String sft = DEMO + "sft/adapter";
    // the reward model starts from the SFT adapter too (and so keeps its rank and alpha)
    assertThat(List.of(rm.adapterNameOrPath(), dpo.adapterNameOrPath(), ppo.adapterNameOrPath(), grpo.adapterNameOrPath()))
        .containsOnly(sft);
    assertThat(rm.finetuningType().savesAdapter()).as("PPO loads the reward model as an adapter").isTrue();
    assertThat(Path.of(ppo.rewardModel())).isEqualTo(Path.of(rm.outputDir(), "adapter"));
    assertThat(grpo.reward()).isEqualTo("incident_judge");
    for (String p : List.of(rm.dataset(), rm.evalDataset(), rm.outputDir(), dpo.dataset(), dpo.evalDataset(),
        dpo.outputDir(), ppo.dataset(), ppo.evalDataset(), ppo.outputDir(), grpo.dataset(), grpo.evalDataset(),
        grpo.outputDir())) {
      assertThat(p).startsWith(DEMO);
    }
    // the DPO and reward-model stages are evaluated on the same held-out pairs; the reward model trains on its own
    // (pairs_rm.jsonl: more wrong-risk pairs, bench/DEMO-TUNING.md session 4), DPO on the uniform ones
    assertThat(dpo.evalDataset()).isEqualTo(rm.evalDataset());
    assertThat(rm.dataset()).isEqualTo(DEMO + "data/pairs_rm.jsonl");
    assertThat(dpo.dataset()).isEqualTo(DEMO + "data/pairs_train.jsonl");
    // and the demo pipeline resolves with them (its rm stage's keys describe the SFT stage's adapter)
    PipelineRecipe demo = PipelineRecipe.load(Path.of("recipes/pipeline_demo.yaml"), List.of());
    ResolvedStage rmStage = ResolvedStage.resolveAll(demo).stream().filter(s -> s.name().equals("rm")).findFirst()
        .orElseThrow();
    assertThat(rmStage.config().get("adapter_name_or_path").asText()).isEqualTo(DEMO + "sft/adapter");
    assertThat(rmStage.config().get("dataset").asText()).isEqualTo(DEMO + "data/pairs_rm.jsonl");
  }
}
