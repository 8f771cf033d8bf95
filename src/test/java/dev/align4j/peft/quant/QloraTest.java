package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** QLoRA end to end: an NF4 base (device dequantisation == Java reference), LoRA on top, training. */
class QloraTest {
  @Test
  void qloraForwardIsCloseToTheBaseMatchesJavaDequantAndTrains() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2, 64);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 9, 0.1, 0.05, DataType.FLOAT32))) {
      float[] dense = model.parameters().get("model.layers.0.mlp.up_proj.weight").data().toFloatArray();
      long[][] ids = {{1, 5, 9, 13, 17, 21, 25, 29}};
      float[] ref = model.logits(ModelInput.of(m, ids)).toFloatArray();
      long bytes = QuantizedModels.quantize(model, true);
      assertThat(model.parameters()).doesNotContainKey("model.layers.0.mlp.up_proj.weight");
      Nf4Linear up = (Nf4Linear) model.linear("model.layers.0.mlp.up_proj");
      try (NDManager s = m.newSubManager()) {
        float[] djl = up.dequantize(s).toFloatArray();
        float[] java = Nf4.dequantize(Nf4.quantize(dense, new long[] {32, 16}, 64, true));
        assertThat(djl).containsExactly(java);     // the device dequantisation is the Java reference, bit for bit
      }
      float[] q = model.logits(ModelInput.of(m, ids)).toFloatArray();
      double err = 0;
      double norm = 0;
      for (int i = 0; i < ref.length; i++) {
        err += (q[i] - ref[i]) * (q[i] - ref[i]);
        norm += ref[i] * ref[i];
      }
      assertThat(Math.sqrt(err / norm)).isLessThan(0.15);
      assertThat(bytes).isGreaterThan(0);
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(8, 16, "all-linear"), 1);
      List<TrainingExample> data = new ArrayList<>();
      for (int k = 0; k < 8; k++) {
        long[] row = new long[10];
        for (int j = 0; j < 10; j++) {
          row[j] = 1 + (k * 3 + j) % 60;
        }
        data.add(TrainingExample.allTokens(row));
      }
      var steps = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(30, 4, 1), s -> 1e-2, null).train(data, null);
      assertThat(steps.get(29).loss()).isLessThan(steps.get(0).loss() * 0.7);
      // merging into the 4-bit base dequantises to float32; merged == unmerged; unmerge restores NF4
      float[] adapted = model.logits(ModelInput.of(m, ids)).toFloatArray();
      assertThat(peft.merge()).startsWith("float32 (dequantised from NF4");
      assertThat(model.logits(ModelInput.of(m, ids)).toFloatArray()).containsExactly(adapted, org.assertj.core.data.Offset.offset(1e-4f));
      try (AutoCloseable off = peft.disableAdapters()) {
        assertThat(model.logits(ModelInput.of(m, ids)).toFloatArray()).containsExactly(q, org.assertj.core.data.Offset.offset(1e-5f));
      }
      peft.unmerge();
      assertThat(model.linear("model.layers.0.mlp.up_proj")).isInstanceOf(dev.align4j.peft.adapter.LoraLinear.class);
      assertThat(((dev.align4j.peft.adapter.LoraLinear) model.linear("model.layers.0.mlp.up_proj")).base()).isInstanceOf(Nf4Linear.class);
      assertThat(model.logits(ModelInput.of(m, ids)).toFloatArray()).containsExactly(adapted, org.assertj.core.data.Offset.offset(1e-5f));
    }
  }
}
