package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.torch.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Fused attention == composed (values and gradients); bfloat16 close to float32, training included. */
class PrecisionAndKernelTest {
  private static final long[][] ROWS = {{3, 17, 42, 8, 61, 0, 29, 5}, {9, 4, 33}};

  private static Map<String, NDArray> copy(Map<String, NDArray> w) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    w.forEach((k, v) -> out.put(k, v.duplicate()));
    return out;
  }

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void fusedEqualsComposedValuesAndGradients(ModelFamily family) {
    ModelConfig c = TinyConfigs.of(family);
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 13, 0.2, 0.1, DataType.FLOAT32);
      float[][] ref = run(m, CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, copy(w)));
      float[][] got = run(m, CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m, copy(w)));
      for (int i = 0; i < ref.length; i++) {
        assertThat(got[i]).as("output %d", i).containsExactly(ref[i], Offset.offset(5e-5f));
      }
    }
  }

  /** Logits of a padded and an unpadded batch, then gradients of q_proj and embeddings. */
  private static float[][] run(NDManager m, CausalLM model) {
    try (model) {
      model.setAllTrainable(true);
      float[] padded;
      float[] plain;
      try (NDManager s = m.newSubManager();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        ModelInput in = ModelInput.padded(s, ROWS, 0, true);
        NDArray logits = model.logits(in);
        padded = logits.toFloatArray();
        NDArray plainLogits = model.logits(ModelInput.of(s, new long[][] {ROWS[0]}));
        plain = plainLogits.toFloatArray();
        gc.backward(logits.get(":, -1, :").square().sum().add(plainLogits.mean()));
      }
      return new float[][] {padded, plain,
          model.parameters().get("model.layers.0.self_attn.q_proj.weight").data().getGradient().toFloatArray(),
          model.parameters().get("model.embed_tokens.weight").data().getGradient().toFloatArray()};
    }
  }

  @ParameterizedTest
  @EnumSource(AttentionImpl.class)
  void bfloat16IsCloseToFloat32AndLoraTrainsInIt(AttentionImpl impl) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 17, 0.2, 0.1, DataType.FLOAT32);
      Map<String, NDArray> bf = new LinkedHashMap<>();
      w.forEach((k, v) -> bf.put(k, Casts.constant(v.duplicate(), Precision.BFLOAT16)));
      float[] ref;
      try (CausalLM f32 = CausalLM.create(c, Precision.FLOAT32, impl, m, w)) {
        ref = f32.logits(ModelInput.padded(m, ROWS, 0, true)).toFloatArray();
      }
      try (CausalLM model = CausalLM.create(c, Precision.BFLOAT16, impl, m, bf)) {
        float[] got = model.logits(ModelInput.padded(m, ROWS, 0, true)).toFloatArray();
        double maxAbs = 0;
        for (float f : ref) {
          maxAbs = Math.max(maxAbs, Math.abs(f));
        }
        for (int i = 0; i < ref.length; i++) {
          assertThat(got[i]).isCloseTo(ref[i], Offset.offset((float) (0.05 * maxAbs + 0.02)));
        }
        // LoRA with DoRA on a bf16 base: float32 masters get gradients
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(2, 4, "all-linear").withDora(true), 1);
        try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(model.nextTokenLoss(ModelInput.of(s, new long[][] {ROWS[0]}), null));
        }
        peft.trainableParameters().forEach(p -> {
          assertThat(p.data().getDataType()).isEqualTo(DataType.FLOAT32);
          assertThat(p.data().getGradient().isNaN().any().getBoolean()).isFalse();
        });
        assertThat(peft.trainableParameters().stream()
            .filter(p -> p.name().contains("lora_A"))
            .mapToDouble(p -> p.data().getGradient().abs().sum().getFloat()).sum()).isEqualTo(0.0);
        assertThat(peft.trainableParameters().stream()
            .filter(p -> p.name().contains("lora_B"))
            .mapToDouble(p -> p.data().getGradient().abs().sum().getFloat()).sum()).isGreaterThan(0.0);
      }
    }
  }
}
