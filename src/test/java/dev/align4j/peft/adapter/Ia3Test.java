package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ia3Test {
  @TempDir Path tmp;
  private static final long[][] IDS = {{3, 17, 42, 8, 61, 0, 29}};

  private static CausalLM model(NDManager m, ModelConfig c) {
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 3, 0.2, 0.1, DataType.FLOAT32));
  }

  private static float[] logits(NDManager m, CausalLM model) {
    try (NDManager s = m.newSubManager()) {
      return model.logits(ModelInput.of(s, IDS)).toFloatArray();
    }
  }

  @Test
  void onesAreIdentityScalingMatchesHandComputationAndMergeIsExact() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);   // q/k/v biases: output scaling must scale the bias too
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] base = logits(m, model);
      Ia3Adapter ia3 = new Ia3Adapter(model, Ia3Adapter.DEFAULT_TARGETS, Ia3Adapter.DEFAULT_FEEDFORWARD);
      assertThat(logits(m, model)).containsExactly(base);
      assertThat(ia3.trainableParameters()).hasSize(2 * 3);
      for (Parameter p : ia3.trainableParameters()) {
        p.data().muli(m.randomUniform(0.5f, 1.5f, p.shape()));
      }
      // one layer by hand: y = (W x + b) * l for k_proj
      Ia3Linear k = ia3.layers().get("model.layers.0.self_attn.k_proj");
      float[] x = new float[16];
      for (int i = 0; i < 16; i++) {
        x[i] = (i % 5) - 2f;
      }
      float[] y = k.forward(m.create(x, new Shape(1, 16))).toFloatArray();
      float[] w = k.base().weight().data().toFloatArray();
      float[] b = k.base().bias().data().toFloatArray();
      float[] l = k.scale().data().toFloatArray();
      for (int o = 0; o < 8; o++) {
        double acc = b[o];
        for (int i = 0; i < 16; i++) {
          acc += w[o * 16 + i] * x[i];
        }
        assertThat((double) y[o]).isCloseTo(acc * l[o], Offset.offset(1e-4));
      }
      float[] adapted = logits(m, model);
      try (AutoCloseable off = disable(ia3)) {
        assertThat(logits(m, model)).containsExactly(base);
      }
      ia3.save(tmp.resolve("ia3"), null);
      ia3.merge();
      assertThat(logits(m, model)).containsExactly(adapted, Offset.offset(2e-5f));
    }
    // load onto a fresh base: same outputs
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] base = logits(m, model);
      Ia3Adapter.load(model, tmp.resolve("ia3"));
      assertThat(logits(m, model)).isNotEqualTo(base);
    }
  }

  @Test
  void onlyIa3VectorsGetGradients() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, TinyConfigs.of(ModelFamily.LLAMA))) {
      Ia3Adapter ia3 = new Ia3Adapter(model, Ia3Adapter.DEFAULT_TARGETS, Ia3Adapter.DEFAULT_FEEDFORWARD);
      try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(model.nextTokenLoss(ModelInput.of(s, IDS), null));
      }
      for (Parameter p : ia3.trainableParameters()) {
        assertThat(p.data().getGradient().abs().sum().getFloat()).as(p.name()).isGreaterThan(0f);
      }
      assertThat(model.trainableParameters()).isEmpty();
    }
  }

  private static AutoCloseable disable(Ia3Adapter a) {
    a.state().disable();
    return a.state()::enable;
  }
}
