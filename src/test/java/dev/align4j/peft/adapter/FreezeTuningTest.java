package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.junit.jupiter.api.Test;

class FreezeTuningTest {
  @Test
  void lastLayersAndNamedModulesTrainOnly() {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 1, 0.02, 0, DataType.FLOAT32))) {
      List<Parameter> t = FreezeTuning.apply(model, 1, List.of("lm_head"));
      assertThat(t).extracting(Parameter::name).allMatch(n -> n.startsWith("model.layers.1.") || n.equals("lm_head.weight"))
          .contains("lm_head.weight", "model.layers.1.mlp.down_proj.weight");
      assertThat(t).hasSize(9 + 1);
      assertThat(model.trainableParameters()).containsExactlyElementsOf(t);
      assertThat(FreezeTuning.apply(model, -1, List.of())).extracting(Parameter::name).allMatch(n -> n.startsWith("model.layers.0."));
      assertThatThrownBy(() -> FreezeTuning.apply(model, 3, List.of())).hasMessageContaining("freeze_trainable_layers");
    }
  }
}
