package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class LoraTest {
  private static final long[][] IDS = {{3, 17, 42, 8, 61, 0, 29}};

  private static CausalLM model(NDManager m, ModelFamily f) {
    ModelConfig c = TinyConfigs.of(f);
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
        RandomWeights.generate(c, m, 3, 0.2, 0.1, DataType.FLOAT32));
  }

  private static float[] logits(NDManager m, CausalLM model) {
    try (NDManager s = m.newSubManager()) {
      return model.logits(ModelInput.of(s, IDS)).toFloatArray();
    }
  }

  /** Sets every B to small random values so the adapter actually changes the output. */
  private static void perturbB(NDManager m, PeftModel peft) {
    int i = 0;
    for (Parameter p : peft.trainableParameters()) {
      if (p.name().contains("lora_B")) {
        p.data().addi(m.randomNormal(0, 0.3f, p.shape(), DataType.FLOAT32).mul(1f + (i++ % 3)));
      }
    }
  }

  @Test
  void zeroBLoraEqualsBase() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, ModelFamily.QWEN2)) {
      float[] base = logits(m, model);
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 1);
      assertThat(logits(m, model)).containsExactly(base, Offset.offset(0f));
    }
  }

  @Test
  void mergedEqualsUnmergedAndUnmergeRestoresBitForBit() {
    for (boolean dora : new boolean[] {false, true}) {
      try (NDManager m = Torch.newManager(); CausalLM model = model(m, ModelFamily.LLAMA)) {
        float[] base = logits(m, model);
        float[] w0 = model.parameters().get("model.layers.0.self_attn.q_proj.weight").data().toFloatArray();
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(4, 16, "all-linear").withDora(dora), 1);
        perturbB(m, peft);
        float[] adapted = logits(m, model);
        assertThat(maxDiff(adapted, base)).as("adapter changes output").isGreaterThan(1e-3f);
        peft.merge();
        assertThat(logits(m, model)).as("merged dora=%s", dora).containsExactly(adapted, Offset.offset(2e-5f));
        try (AutoCloseable off = peft.disableAdapters()) {
          assertThat(logits(m, model)).as("merged, disabled == base").containsExactly(base, Offset.offset(2e-5f));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        peft.unmerge();
        assertThat(model.parameters().get("model.layers.0.self_attn.q_proj.weight").data().toFloatArray())
            .containsExactly(w0);
        assertThat(logits(m, model)).containsExactly(adapted, Offset.offset(1e-6f));
      }
    }
  }

  @Test
  void disabledScopeIsTheBaseModel() throws Exception {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, ModelFamily.QWEN3)) {
      float[] base = logits(m, model);
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(2, 4, "q_proj", "v_proj", "down_proj"), 5);
      perturbB(m, peft);
      try (AutoCloseable off = peft.disableAdapters()) {
        assertThat(logits(m, model)).containsExactly(base, Offset.offset(0f));
      }
      assertThat(maxDiff(logits(m, model), base)).isGreaterThan(1e-3f);
    }
  }

  @Test
  void onlyTheActiveAdapterGetsGradients() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, ModelFamily.MISTRAL)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("one", LoraConfig.of(2, 4, "q_proj", "v_proj"), 1);
      peft.addLora("two", LoraConfig.of(2, 4, "q_proj", "v_proj"), 2);
      peft.setActive("one");
      perturbB(m, peft);
      try (NDManager s = m.newSubManager()) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(model.nextTokenLoss(ModelInput.of(s, IDS), null));
        }
      }
      List<Parameter> active = peft.trainableParameters();
      assertThat(active).hasSize(2 * 2 * 2).allMatch(p -> p.name().contains(".one."));
      for (Parameter p : active) {
        assertThat(p.data().getGradient().abs().sum().getFloat()).as(p.name()).isGreaterThan(0f);
      }
      for (Parameter p : model.parameters().values()) {
        assertThat(p.trainable()).as(p.name()).isFalse();
      }
      LoraWeights other = peft.loraLayers().get("model.layers.0.self_attn.q_proj").adapters().get("two");
      assertThat(other.a().trainable()).isFalse();
      assertThat(other.a().data().hasGradient()).isFalse();
    }
  }

  @Test
  void scalingFollowsPeft() {
    assertThat(LoraConfig.of(16, 32).scaling()).isEqualTo(2.0);
    assertThat(LoraConfig.of(16, 32).withRslora(true).scaling()).isEqualTo(8.0);
    assertThatThrownBy(() -> LoraConfig.of(4, 8, "qkv")).hasMessageContaining("unknown target module 'qkv'");
  }

  @Test
  void loraDeltaMatchesHandComputation() {
    // y = W x + s B A x on one layer, compared with the formula evaluated in Java
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, ModelFamily.LLAMA)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(2, 6, "o_proj"), 9);
      perturbB(m, peft);
      LoraLinear l = peft.loraLayers().get("model.layers.1.self_attn.o_proj");
      LoraWeights w = l.adapters().get("default");
      float[] x = {0.5f, -1, 2, 0, 1, 1, -0.25f, 3, 0.1f, 0.2f, -0.3f, 0.4f, 1, -1, 1, -1};
      try (NDManager s = m.newSubManager()) {
        float[] got = l.forward(s.create(x, new ai.djl.ndarray.types.Shape(1, 16))).toFloatArray();
        float[] wv = ((dev.align4j.peft.model.DenseLinear) l.base()).weight().data().toFloatArray();
        float[] a = w.a().data().toFloatArray();
        float[] b = w.b().data().toFloatArray();
        for (int o = 0; o < 16; o++) {
          double ax0 = 0;
          double ax1 = 0;
          double wx = 0;
          for (int i = 0; i < 16; i++) {
            wx += wv[o * 16 + i] * x[i];
            ax0 += a[i] * x[i];
            ax1 += a[16 + i] * x[i];
          }
          double expected = wx + 3.0 * (b[o * 2] * ax0 + b[o * 2 + 1] * ax1);
          assertThat((double) got[o]).isCloseTo(expected, Offset.offset(1e-4));
        }
      }
    }
  }

  private static float maxDiff(float[] a, float[] b) {
    float d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
