package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.data.preference.OverlongPolicy;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.recipes.rm.BestModelMetric;
import dev.align4j.recipes.rm.RmRecipe;
import dev.align4j.recipes.sft.FinetuningType;
import dev.align4j.recipes.sft.SftRecipe;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reward-modelling recipe: TRL's defaults where TRL has them, the shared keys, errors before any data. */
class RmRecipeTest {
  @Test
  void defaultsAndSharedKeys() throws Exception {
    RmRecipe r = RmRecipe.load(null, List.of("model_name_or_path=m", "dataset=d"));
    assertThat(r.cutoffLen()).isEqualTo(1024);                 // TRL RewardConfig.max_length
    assertThat(r.overlong()).isEqualTo(OverlongPolicy.DROP);   // TRL filters longer pairs
    assertThat(r.centerRewardsCoefficient()).isZero();
    assertThat(r.metricForBestModel()).isEqualTo(BestModelMetric.LOSS);
    assertThat(r.finetuningType()).isEqualTo(FinetuningType.LORA);
    assertThat(r.outputDir()).isEqualTo("runs/rm");
    List<String> names = RmRecipe.SCHEMA.keys().stream().map(k -> k.name()).toList();
    SftRecipe.ADAPTER_KEYS.forEach(k -> assertThat(names).contains(k.name()));
    TrainingKeys.ALL.forEach(k -> assertThat(names).contains(k.name()));
  }

  @Test
  void theShippedRecipesParse() throws Exception {
    assertThat(RmRecipe.load(Path.of("recipes/rm_lora.yaml"), List.of()).metricForBestModel())
        .isEqualTo(BestModelMetric.ACCURACY);
    assertThat(RmRecipe.load(Path.of("recipes/rm_demo.yaml"), List.of()).finetuningType()).isEqualTo(FinetuningType.FULL);
  }

  @Test
  void badValuesAreErrorsNamingTheKey() {
    assertThatThrownBy(() -> RmRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "metric_for_best_model=f1")))
        .hasMessageContaining("metric_for_best_model");
    assertThatThrownBy(() -> RmRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "finetuning_type=prompt_tuning")))
        .hasMessageContaining("cannot train a reward model");
    assertThatThrownBy(() -> RmRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "center_rewards_coefficient=-1")))
        .hasMessageContaining("center_rewards_coefficient");
    assertThatThrownBy(() -> RmRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "finetuning_type=full",
        "quantization_bit=4"))).hasMessageContaining("QLoRA");
  }
}
