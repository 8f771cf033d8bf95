package dev.align4j.recipes.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.data.preference.TruncationMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The preference recipes: the shipped examples parse, cross-key rules name the keys. */
class DpoRecipeTest {
  @Test
  void shippedRecipesParse() throws IOException {
    for (String f : List.of("dpo_lora", "kto_lora", "orpo_lora", "simpo_lora", "demo_dpo", "dpo_tiny_test")) {
      DpoRecipe r = DpoRecipe.load(Path.of("recipes", f + ".yaml"), List.of("model_name_or_path=m", "dataset=d"));
      assertThat(r.truncationMode()).as(f).isEqualTo(TruncationMode.KEEP_START);
    }
    DpoRecipe simpo = DpoRecipe.load(Path.of("recipes/simpo_lora.yaml"), List.of());
    assertThat(simpo.lossTypes(Stage.SIMPO)).containsExactly("simpo");
    DpoRecipe dpo = DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "pref_loss=sigmoid,sft",
        "loss_weights=1,0.5"));
    assertThat(dpo.lossTypes(Stage.DPO)).containsExactly("sigmoid", "sft");
    assertThat(dpo.weights(Stage.DPO)).containsExactly(1.0, 0.5);
    assertThat(DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d")).lossTypes(Stage.KTO))
        .containsExactly("kto");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "ld_alpha=2")))
        .hasMessageContaining("ld_alpha");
    assertThatThrownBy(() -> DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "pref_loss=sigmoid,sft",
        "loss_weights=1")).weights(Stage.DPO)).hasMessageContaining("loss_weights has 1 entries");
    assertThatThrownBy(() -> DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "finetuning_type=full",
        "quantization_bit=4"))).hasMessageContaining("quantization_bit");
    assertThatThrownBy(() -> DpoRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "pref_betta=1")))
        .hasMessageContaining("pref_betta");
  }
}
