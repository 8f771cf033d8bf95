package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every method behind the one {@link Adapter} face: its kind, what trains, a disabled scope equal to
 * the base model bit for bit, a use scope equal to the adapted model, and a PEFT save that
 * {@link Adapter#load} reads back to the same outputs on a fresh base.
 */
class AdapterTest {
  private static final Path BASE = Path.of("src/test/resources/golden/qwen3");
  private static final long[][] IDS = {{3, 17, 42, 8, 61, 0, 29}};

  private static float[] logits(NDManager m, CausalLM model) {
    try (NDManager s = m.newSubManager()) {
      return model.logits(ModelInput.of(s, IDS)).toFloatArray();
    }
  }

  private static Adapter create(AdapterKind kind, PretrainedModel pm) {
    CausalLM model = pm.model();
    return switch (kind) {
      case LORA -> {
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(2, 4, "q_proj", "v_proj").withDora(true), 1);
        yield peft.adapter("default");
      }
      case IA3 -> new Ia3Adapter(model, Ia3Adapter.DEFAULT_TARGETS, Ia3Adapter.DEFAULT_FEEDFORWARD);
      case PROMPT_TUNING -> new PromptTuning(model, PromptTuning.Kind.PROMPT_TUNING, 3, 0, 1, null);
      case P_TUNING -> new PromptTuning(model, PromptTuning.Kind.P_TUNING, 3, 8, 1, null);
      case PREFIX_TUNING -> new PrefixTuning(model, 3, 1);
      case FREEZE -> FreezeTuning.create(pm, 1, List.of());
      case FULL -> FullFineTuning.create(pm);
    };
  }

  @ParameterizedTest
  @EnumSource(AdapterKind.class)
  void everyKindBehindOneFace(AdapterKind kind, @TempDir Path tmp) throws Exception {
    float[] adapted;
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(BASE, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      float[] base = logits(m, pm.model());
      Adapter a = create(kind, pm);
      assertThat(a.kind()).isEqualTo(kind);
      assertThat(a.name()).isEqualTo("default");
      assertThat(a.trainableParameters()).isNotEmpty().allMatch(Parameter::trainable);
      // move every trainable value off its identity init so the adapter changes the output
      for (Parameter p : a.trainableParameters()) {
        p.data().addi(m.randomNormal(0, 0.2f, p.shape(), DataType.FLOAT32));
      }
      adapted = logits(m, pm.model());
      assertThat(maxDiff(adapted, base)).isGreaterThan(1e-4f);
      try (AdapterScope on = a.use()) {
        assertThat(logits(m, pm.model())).containsExactly(adapted);
      }
      if (kind.peftType() == null) {
        assertThatThrownBy(a::disabled).isInstanceOf(UnsupportedOperationException.class)
            .hasMessageContaining("in place");
        a.save(tmp, null);
        assertThat(tmp.resolve("config.json")).exists();
        return;
      }
      try (AdapterScope off = a.disabled()) {
        assertThat(logits(m, pm.model())).containsExactly(base);
      }
      assertThat(logits(m, pm.model())).containsExactly(adapted);
      a.save(tmp, "qwen3-golden");
      assertThat(new ObjectMapper().readTree(tmp.resolve(PeftAdapterFiles.CONFIG).toFile())
          .path("peft_type").asText()).isEqualTo(kind.peftType());
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(BASE, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      float[] base = logits(m, pm.model());
      Adapter loaded = Adapter.load(new PeftModel(pm.model()), tmp, "default");
      // P-tuning is saved as its encoder's output, so it loads as plain prompt tuning (as PEFT does)
      assertThat(loaded.kind()).isEqualTo(kind == AdapterKind.P_TUNING ? AdapterKind.PROMPT_TUNING : kind);
      assertThat(logits(m, pm.model())).as("loaded == saved").containsExactly(adapted, Offset.offset(1e-5f));
      try (AdapterScope off = loaded.disabled()) {
        assertThat(logits(m, pm.model())).containsExactly(base);
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
