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
    RotaryEmbedding plain = new RotaryEmbedding(128, 500000, null, 8192);
    RopeScaling.Llama3 s = new RopeScaling.Llama3(8, 1, 4, 8192);
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

  // --- both config layouts (issue 8) ---

  private static ObjectNode v5(String family) throws Exception {
    return (ObjectNode) JSON.readTree("{\"model_type\": \"" + family + "\", \"vocab_size\": 64, \"hidden_size\": 16,"
        + " \"intermediate_size\": 32, \"num_hidden_layers\": 4, \"num_attention_heads\": 4,"
        + " \"num_key_value_heads\": 2, \"head_dim\": 4, \"max_position_embeddings\": 64, \"dtype\": \"bfloat16\","
        + " \"rope_parameters\": {\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}}");
  }

  @Test
  void transformers5RopeParametersThetaIsRead() throws Exception {
    // defect 1: the theta inside rope_parameters was ignored and 10000 used
    ModelConfig c = ModelConfig.fromJson(v5("qwen3"), "c");
    assertThat(c.ropeTheta()).isEqualTo(1e6);
    assertThat(c.ropeScaling()).isNull();
    assertThat(c.torchDtype()).isEqualTo("bfloat16");
  }

  @Test
  void bothLayoutsGiveTheSameConfig() throws Exception {
    ObjectNode v5 = v5("llama");
    v5.set("rope_parameters", JSON.readTree("{\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 8.0,"
        + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}"));
    ObjectNode v4 = v5("llama");
    v4.remove("rope_parameters");
    v4.remove("dtype");
    v4.put("torch_dtype", "bfloat16").put("rope_theta", 500000.0);
    v4.set("rope_scaling", JSON.readTree("{\"type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
        + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}"));
    ModelConfig a = ModelConfig.fromJson(v5, "v5");
    assertThat(ModelConfig.fromJson(v4, "v4")).isEqualTo(a);
    assertThat(a.ropeScaling()).isEqualTo(new RopeScaling.Llama3(8, 1, 4, 16));
    assertThat(ModelConfig.fromJson(a.toJson(), "round trip")).isEqualTo(a);
  }

  @Test
  void everyRopeTypeRoundTrips() throws Exception {
    for (String rp : new String[] {
        "{\"rope_type\": \"linear\", \"factor\": 4.0}",
        "{\"rope_type\": \"dynamic\", \"factor\": 2.0}",
        "{\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 16, \"mscale\": 1.0,"
            + " \"mscale_all_dim\": 0.5, \"beta_fast\": 16}"}) {
      ObjectNode j = v5("qwen3");
      j.set("rope_parameters", JSON.readTree(rp));
      ModelConfig c = ModelConfig.fromJson(j, "c");
      assertThat(c.ropeScaling().ropeType()).isEqualTo(JSON.readTree(rp).get("rope_type").asText());
      assertThat(ModelConfig.fromJson(c.toJson(), "c")).isEqualTo(c);
    }
  }

  @Test
  void yarnAttentionFactorFollowsTransformers() {
    // get_mscale(4) = 0.1 ln 4 + 1; with mscale/mscale_all_dim the ratio of the two
    RopeScaling.Yarn plain = new RopeScaling.Yarn(4, 16, null, 32, 1, null, null, true);
    assertThat(plain.attentionFactor()).isCloseTo(0.1 * Math.log(4) + 1, org.assertj.core.data.Offset.offset(1e-15));
    RopeScaling.Yarn ratio = new RopeScaling.Yarn(4, 16, null, 32, 1, 1.0, 0.5, true);
    assertThat(ratio.attentionFactor())
        .isCloseTo((0.1 * Math.log(4) + 1) / (0.05 * Math.log(4) + 1), org.assertj.core.data.Offset.offset(1e-15));
    assertThat(new RopeScaling.Yarn(4, 16, 0.7, 32, 1, 1.0, 0.5, true).attentionFactor()).isEqualTo(0.7);
  }

  @Test
  void dynamicRopeIsPlainUpToMaxPositionsThenGrowsTheBase() {
    RotaryEmbedding plain = new RotaryEmbedding(8, 10000, null, 32);
    RotaryEmbedding dyn = new RotaryEmbedding(8, 10000, new RopeScaling.Dynamic(2), 32);
    assertThat(dyn.invFreq(32)).containsExactly(plain.invFreq(32));
    float[] longer = dyn.invFreq(48);
    // base * (2 * 48 / 32 - 1) ^ (8 / 6) = base * 2^(4/3)
    double base = 10000 * Math.pow(2, 4.0 / 3);
    assertThat((double) longer[1]).isCloseTo(1 / Math.pow(base, 2.0 / 8), org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void unsupportedRopeTypeIsNamed() throws Exception {
    ObjectNode j = v5("llama");
    j.set("rope_parameters", JSON.readTree("{\"rope_type\": \"longrope\", \"short_factor\": [1], \"long_factor\": [1]}"));
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json"))
        .hasMessageContaining("c.json").hasMessageContaining("rope_type 'longrope' is not supported");
  }

  @Test
  void unknownRopeKeyIsNamed() throws Exception {
    ObjectNode j = v5("llama");
    j.set("rope_scaling", JSON.readTree("{\"type\": \"linear\", \"factor\": 2.0, \"low_freq_factor\": 1.0}"));
    assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json")).hasMessageContaining("rope_scaling.low_freq_factor");
  }

  @Test
  void mathChangingKeysWeDoNotImplementAreRefused() throws Exception {
    String[][] cases = {
        {"attn_logit_softcapping", "50.0", "attn_logit_softcapping"},
        {"final_logit_softcapping", "30.0", "final_logit_softcapping"},
        {"hidden_act", "\"gelu\"", "hidden_act 'gelu'"},
        {"partial_rotary_factor", "0.5", "partial_rotary_factor"},
        {"attention_dropout", "0.1", "attention_dropout"},
    };
    for (String[] c : cases) {
      ObjectNode j = v5("llama");
      j.set(c[0], JSON.readTree(c[1]));
      assertThatThrownBy(() -> ModelConfig.fromJson(j, "c.json")).as(c[0]).hasMessageContaining(c[2]);
    }
    ObjectNode q2 = v5("qwen2").put("mlp_bias", true);
    assertThatThrownBy(() -> ModelConfig.fromJson(q2, "c.json")).hasMessageContaining("mlp_bias");
    ObjectNode m = v5("mistral").put("attention_bias", true);
    assertThatThrownBy(() -> ModelConfig.fromJson(m, "c.json")).hasMessageContaining("attention_bias");
  }

  @Test
  void familyDefaultsFollowTransformers() throws Exception {
    ObjectNode q3 = v5("qwen3");
    q3.remove("head_dim");
    q3.remove("max_position_embeddings");
    ModelConfig c = ModelConfig.fromJson(q3, "c");
    assertThat(c.headDim()).isEqualTo(128);                 // Qwen3Config.head_dim = 128
    assertThat(c.maxPositionEmbeddings()).isEqualTo(32768);
    ObjectNode q2 = v5("qwen2");
    q2.remove("num_key_value_heads");
    assertThatThrownBy(() -> ModelConfig.fromJson(q2, "c")).hasMessageContaining("num_key_value_heads");
  }

  @Test
  void biasesFollowTheFamily() throws Exception {
    ModelConfig llama = ModelConfig.fromJson(v5("llama").put("attention_bias", true).put("mlp_bias", true), "c");
    assertThat(WeightNames.expected(llama)).containsKeys("model.layers.0.self_attn.q_proj.bias",
        "model.layers.0.self_attn.o_proj.bias", "model.layers.0.mlp.gate_proj.bias", "model.layers.0.mlp.down_proj.bias");
    ModelConfig qwen2 = ModelConfig.fromJson(v5("qwen2"), "c");
    assertThat(WeightNames.expected(qwen2)).containsKey("model.layers.0.self_attn.v_proj.bias")
        .doesNotContainKey("model.layers.0.self_attn.o_proj.bias");
    assertThat(llama.parameterCount()).isEqualTo(WeightNames.expected(llama).values().stream()
        .mapToLong(ai.djl.ndarray.types.Shape::size).sum());
  }

  @Test
  void slidingWindowsAreReadAsTransformersDoes() throws Exception {
    ObjectNode q = v5("qwen2").put("use_sliding_window", true).put("sliding_window", 8).put("max_window_layers", 2);
    assertThat(ModelConfig.fromJson(q, "c").slidingWindow()).isEqualTo(new SlidingWindow(8, java.util.List.of(2, 3)));
    q.set("layer_types", JSON.readTree("[\"sliding_attention\", \"full_attention\", \"full_attention\", \"full_attention\"]"));
    assertThat(ModelConfig.fromJson(q, "c").slidingWindow().layers()).containsExactly(0);
    q.put("use_sliding_window", false);
    assertThat(ModelConfig.fromJson(q, "c").slidingWindow()).isNull();
    ObjectNode m = v5("mistral");
    assertThat(ModelConfig.fromJson(m, "c").slidingWindow().size()).isEqualTo(4096);   // MistralConfig default
    m.putNull("sliding_window");
    assertThat(ModelConfig.fromJson(m, "c").slidingWindow()).isNull();
    ObjectNode bad = v5("qwen3");
    bad.set("layer_types", JSON.readTree("[\"chunked_attention\", \"full_attention\", \"full_attention\", \"full_attention\"]"));
    assertThatThrownBy(() -> ModelConfig.fromJson(bad, "c")).hasMessageContaining("chunked_attention");
  }
}
