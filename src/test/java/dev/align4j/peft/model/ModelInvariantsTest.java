package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.torch.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Invariants of the forward: KV cache == recompute, padding is invisible, GQA == repeated heads. */
class ModelInvariantsTest {
  private static final long[] IDS = {3, 17, 42, 8, 8, 61, 0, 29, 5};

  private static CausalLM model(NDManager m, ModelConfig c) {
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
        RandomWeights.generate(c, m, 11, 0.2, 0.1, DataType.FLOAT32));
  }

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void kvCacheEqualsRecompute(ModelFamily family) {
    ModelConfig c = TinyConfigs.of(family);
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] full = model.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
      int v = c.vocabSize();
      try (KvCache cache = new KvCache(m, c.numLayers())) {
        // a 4-token prompt, then one token at a time
        int pos = 0;
        int[] chunks = {4, 1, 1, 2, 1};
        for (int len : chunks) {
          long[] chunk = java.util.Arrays.copyOfRange(IDS, pos, pos + len);
          float[] got = model.logits(model.hiddenStates(ModelInput.of(m, new long[][] {chunk}), cache)).toFloatArray();
          for (int i = 0; i < len * v; i++) {
            assertThat(got[i]).as("position %d", pos + i / v).isCloseTo(full[pos * v + i], org.assertj.core.data.Offset.offset(2e-5f));
          }
          pos += len;
        }
        assertThat(cache.length()).isEqualTo(IDS.length);
      }
    }
  }

  @Test
  void preallocatedCacheGrowsAndDropsRowsWithoutChangingResults() {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    long[] other = {7, 7, 30, 2, 19, 44, 1, 5, 60};
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      int v = c.vocabSize();
      float[] full = model.logits(ModelInput.of(m, new long[][] {IDS, other})).toFloatArray();   // [2, 9, V]
      try (KvCache cache = new KvCache(m, c.numLayers(), 3)) {   // too small: grows twice
        int pos = 0;
        for (int len : new int[] {4, 1, 2}) {
          long[][] chunk = {java.util.Arrays.copyOfRange(IDS, pos, pos + len), java.util.Arrays.copyOfRange(other, pos, pos + len)};
          float[] got = model.logits(model.hiddenStates(ModelInput.of(m, chunk), cache)).toFloatArray();
          for (int r = 0; r < 2; r++) {
            for (int i = 0; i < len * v; i++) {
              assertThat(got[r * len * v + i]).as("row %d position %d", r, pos + i / v)
                  .isCloseTo(full[(r * IDS.length + pos) * v + i], org.assertj.core.data.Offset.offset(2e-5f));
            }
          }
          pos += len;
        }
        cache.keepRows(new long[] {1});                              // row 0 leaves
        assertThat(cache.keys(0).getShape()).isEqualTo(new Shape(1, c.numKvHeads(), 7, c.headDim()));
        for (; pos < other.length; pos++) {
          float[] got = model.logits(model.hiddenStates(
              ModelInput.of(m, new long[][] {{other[pos]}}), cache)).toFloatArray();
          for (int i = 0; i < v; i++) {
            assertThat(got[i]).as("kept row position %d", pos)
                .isCloseTo(full[(IDS.length + pos) * v + i], org.assertj.core.data.Offset.offset(2e-5f));
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void paddingDoesNotChangeRealTokens(ModelFamily family) {
    ModelConfig c = TinyConfigs.of(family);
    long[] shortRow = {9, 4, 33, 12};
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      int v = c.vocabSize();
      float[] alone = model.logits(ModelInput.of(m, new long[][] {shortRow})).toFloatArray();
      for (boolean left : new boolean[] {true, false}) {
        ModelInput in = ModelInput.padded(m, new long[][] {IDS, shortRow}, 0, left);
        float[] batch = model.logits(in).toFloatArray();
        int t = IDS.length;
        int offset = left ? t - shortRow.length : 0;
        for (int j = 0; j < shortRow.length; j++) {
          for (int k = 0; k < v; k++) {
            float got = batch[(t + offset + j) * v + k];
            assertThat(got).as("left=%s token %d", left, j).isCloseTo(alone[j * v + k], org.assertj.core.data.Offset.offset(2e-5f));
          }
        }
        assertThat(batch).doesNotContain(Float.NaN);
      }
    }
  }

  @Test
  void groupedQueryAttentionEqualsRepeatedKvHeads() {
    ModelConfig gqa = TinyConfigs.of(ModelFamily.QWEN2);
    ModelConfig mha = ModelConfig.fromJson(gqa.toJson().put("num_key_value_heads", gqa.numHeads()), "mha");
    try (NDManager m = Torch.newManager()) {
      LinkedHashMap<String, NDArray> w = RandomWeights.generate(gqa, m, 5, 0.2, 0.1, DataType.FLOAT32);
      LinkedHashMap<String, NDArray> wide = new LinkedHashMap<>();
      int g = gqa.groups();
      int d = gqa.headDim();
      for (Map.Entry<String, NDArray> e : w.entrySet()) {
        NDArray t = e.getValue();
        if (e.getKey().matches(".*\\.(k_proj|v_proj)\\.(weight|bias)")) {
          // head h of the wide model is kv head h / g of the grouped one: repeat each head's rows g times
          Shape s = t.getShape();
          NDArray heads = t.reshape(new Shape(gqa.numKvHeads(), 1, d).addAll(s.slice(1)));
          t = heads.repeat(1, g).reshape(new Shape((long) gqa.numHeads() * d).addAll(s.slice(1)));
        }
        wide.put(e.getKey(), t.duplicate());
      }
      try (CausalLM a = CausalLM.create(gqa, Precision.FLOAT32, AttentionImpl.COMPOSED, m, w);
          CausalLM b = CausalLM.create(mha, Precision.FLOAT32, AttentionImpl.COMPOSED, m, wide)) {
        float[] la = a.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
        float[] lb = b.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
        for (int i = 0; i < la.length; i++) {
          assertThat(la[i]).isCloseTo(lb[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  void neftuneNoiseOnlyInTrainingAndBoundedByAlphaOverSqrtTH() {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] clean = model.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
      model.setNeftuneAlpha(5);
      assertThat(model.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray()).containsExactly(clean);
      model.setTraining(true);
      float[] noisy = model.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
      double maxDiff = 0;
      for (int i = 0; i < clean.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(noisy[i] - clean[i]));
      }
      assertThat(maxDiff).isGreaterThan(1e-4);
      // with a vanishing alpha the change vanishes too (the noise scales with alpha / sqrt(T*H))
      model.setNeftuneAlpha(1e-6);
      float[] tiny = model.logits(ModelInput.of(m, new long[][] {IDS})).toFloatArray();
      for (int i = 0; i < clean.length; i++) {
        assertThat(tiny[i]).isCloseTo(clean[i], org.assertj.core.data.Offset.offset(1e-4f));
      }
    }
  }

  @Test
  void missingOrMisshapenTensorsAreNamed() {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager()) {
      LinkedHashMap<String, NDArray> w = RandomWeights.generate(c, m, 1, 0.02, 0, DataType.FLOAT32);
      w.remove("model.layers.1.mlp.up_proj.weight");
      w.put("model.norm.weight", m.ones(new Shape(7)));
      w.put("model.layers.0.self_attn.bogus.weight", m.ones(new Shape(2)));
      assertThatThrownBy(() -> CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, w))
          .hasMessageContaining("missing tensor model.layers.1.mlp.up_proj.weight")
          .hasMessageContaining("model.norm.weight has shape (7), expected (16)")
          .hasMessageContaining("unexpected tensors [model.layers.0.self_attn.bogus.weight]");
    }
  }
}
