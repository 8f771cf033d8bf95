package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.recipes.sft.SftRecipe;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * QLoRA checkpoints activations by default (as PEFT's {@code prepare_model_for_kbit_training} and TRL
 * do): its memory advantage over LoRA needs it (bench/RESULTS.md: 1379 against 1611 MiB with
 * checkpointing on both, 2436 against 2238 MiB without). Every other recipe keeps the default false, so
 * no non-QLoRA run changes, and a value the recipe gives always wins.
 */
class QloraCheckpointingDefaultTest {
  private static boolean checkpointing(String... overrides) throws Exception {
    SftRecipe r = SftRecipe.load(null, List.of(overrides));
    return SftRecipe.SCHEMA.get(r, TrainingKeys.GRADIENT_CHECKPOINTING);
  }

  @Test
  void quantisedBaseDefaultsToCheckpointingAndAnExplicitValueWins() throws Exception {
    assertThat(checkpointing("model_name_or_path=m", "dataset=d", "quantization_bit=4")).isTrue();
    assertThat(checkpointing("model_name_or_path=m", "dataset=d", "quantization_bit=4", "gradient_checkpointing=false"))
        .isFalse();
    assertThat(checkpointing("model_name_or_path=m", "dataset=d")).isFalse();
    assertThat(checkpointing("model_name_or_path=m", "dataset=d", "quantization_bit=0")).isFalse();
    assertThat(checkpointing("model_name_or_path=m", "dataset=d", "gradient_checkpointing=true")).isTrue();
    assertThat(SftRecipe.SCHEMA.markdownTable())
        .contains("| `gradient_checkpointing` | true \\| false | `false` (`true` when `quantization_bit` is 4) |");
  }
}
