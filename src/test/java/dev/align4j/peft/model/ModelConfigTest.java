package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode base() {
    return TinyConfigs.of(ModelFamily.QWEN2).toJson();
  }

  @Test
  void roundTripsThroughJson() {
    for (ModelFamily f : ModelFamily.values()) {
      ModelConfig c = TinyConfigs.of(f);
      assertThat(ModelConfig.fromJson(c.toJson(), "x")).isEqualTo(c);
    }
  }

  @Test
  void missingHiddenSizeIsNamed() {
    ObjectNode j = base();
    j.remove("hidden_size");
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "dir/config.json"))
        .hasMessage("dir/config.json: config: missing required field hidden_size");
  }

  @Test
  void headsMustDivideByKvHeads() {
    ObjectNode j = base().put("num_key_value_heads", 3);
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json"))
        .hasMessageContaining("num_attention_heads (4) must be divisible by num_key_value_heads (3)");
  }

  @Test
  void unsupportedModelTypeListsSupported() {
    ObjectNode j = base().put("model_type", "gpt2");
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json"))
        .hasMessageContaining("unsupported model_type 'gpt2'")
        .hasMessageContaining("llama, mistral, qwen2, qwen3");
  }

  @Test
  void wrongTypeIsNamed() throws Exception {
    ObjectNode j = base();
    j.set("vocab_size", JSON.readTree("\"many\""));
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json")).hasMessageContaining("vocab_size must be an integer");
  }

  @Test
  void headDimDefaultsToHiddenOverHeads() {
    ObjectNode j = base();
    j.remove("head_dim");
    assertThat(ModelConfig.fromJson(j, "c").headDim()).isEqualTo(4);
  }

  @Test
  void llama3RopeScalingMatchesHandValues() {
    // Llama 3.1: factor 8, low 1, high 4, original 8192, theta 500000, head dim 128
    RotaryEmbedding plain = new RotaryEmbedding(128, 500000, null);
    RopeScaling s = new RopeScaling(8, 1, 4, 8192);
    float[] f = new float[64];
    for (int i = 0; i < 64; i++) {
      f[i] = (float) (1.0 / Math.pow(500000, (2.0 * i) / 128));
    }
    float[] orig = f.clone();
    s.apply(f);
    // highest frequency (wavelength 2*pi < 2048) unchanged; lowest (wavelength > 8192) divided by 8
    assertThat(f[0]).isEqualTo(orig[0]);
    assertThat(f[63]).isCloseTo(orig[63] / 8, org.assertj.core.data.Offset.offset(1e-12f));
    // a medium band entry is strictly between
    int mid = 0;
    for (int i = 0; i < 64; i++) {
      double wl = 2 * Math.PI / orig[i];
      if (wl >= 2048 && wl <= 8192) {
        mid = i;
        double smooth = (8192 / wl - 1) / 3.0;
        assertThat((double) f[i]).isCloseTo((1 - smooth) * orig[i] / 8 + smooth * orig[i], org.assertj.core.data.Offset.offset(1e-9));
      }
    }
    assertThat(mid).isPositive();
    assertThat(plain).isNotNull();
  }
}
