package dev.align4j.peft.probe;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code CausalLM.layerHiddenStates} equals transformers' {@code output_hidden_states} on checkpoints
 * transformers made ({@code src/test/resources/probe/make_hidden_goldens.py}), and the pooled features
 * of {@link HiddenFeatures} are the goldens' pooled rows.
 */
class HiddenStatesTest {
  static final Path GOLDENS = Path.of("src/test/resources/probe/hidden_goldens.json");

  @ParameterizedTest
  @ValueSource(strings = {"qwen3_v5_theta1e6", "llama_v4_llama3", "qwen2_v4_theta1e6"})
  void everyLayerEqualsTransformers(String name) throws IOException {
    JsonNode c = new ObjectMapper().readTree(GOLDENS.toFile()).get(name);
    long[] ids = new long[c.get("ids").size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = c.get("ids").get(i).asLong();
    }
    JsonNode hs = c.get("hidden_states");
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(Path.of("src/test/resources/golden/hf", name), Precision.FLOAT64,
            AttentionImpl.COMPOSED, m)) {
      List<NDArray> states = pm.model().layerHiddenStates(ModelInput.of(m, new long[][] {ids}));
      assertThat(states).hasSize(hs.size());
      int h = pm.model().config().hiddenSize();
      for (int k = 0; k < hs.size(); k++) {
        double[] got = states.get(k).toDoubleArray();                   // [1, T, H]
        double max = 0;
        for (int t = 0; t < ids.length; t++) {
          for (int j = 0; j < h; j++) {
            max = Math.max(max, Math.abs(got[t * h + j] - hs.get(k).get(t).get(j).asDouble()));
          }
        }
        assertThat(max).as("hidden_states[%d]", k).isLessThan(1e-9);
      }
      // the last one is the model's own final hidden states
      NDArray fin = pm.model().hiddenStates(ModelInput.of(m, new long[][] {ids}), null);
      assertThat(states.get(hs.size() - 1).toDoubleArray()).containsExactly(fin.toDoubleArray());

      // HiddenFeatures pools these (float32 forward here: within float32 rounding)
      double[][][] f = HiddenFeatures.extract(pm.model(), m, List.of(ids), new int[] {0, hs.size() - 1},
          Pooling.MEAN);
      for (int j = 0; j < h; j++) {
        double mean = 0;
        for (int t = 0; t < ids.length; t++) {
          mean += hs.get(hs.size() - 1).get(t).get(j).asDouble();
        }
        assertThat(Math.abs(f[1][0][j] - mean / ids.length)).isLessThan(1e-9);
      }
      double[][][] last = HiddenFeatures.extract(pm.model(), m, List.of(ids), new int[] {1}, Pooling.LAST);
      for (int j = 0; j < h; j++) {
        assertThat(Math.abs(last[0][0][j] - hs.get(1).get(ids.length - 1).get(j).asDouble())).isLessThan(1e-9);
      }
    }
  }

  /** Rows of several lengths in padded batches: each row's features are those it has alone. */
  @ParameterizedTest
  @ValueSource(strings = {"qwen3_v5_theta1e6", "llama_v4_llama3"})
  void batchedRowsEqualRowsAlone(String name) throws IOException {
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    List<long[]> seqs = new java.util.ArrayList<>();
    for (int i = 0; i < HiddenFeatures.BATCH + 5; i++) {
      long[] ids = new long[1 + r.nextInt(14)];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = r.nextInt(64);
      }
      seqs.add(ids);
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(Path.of("src/test/resources/golden/hf", name), Precision.FLOAT64,
            AttentionImpl.COMPOSED, m)) {
      int[] layers = {0, 1, 2};
      for (Pooling pooling : Pooling.values()) {
        double[][][] batched = HiddenFeatures.extract(pm.model(), m, seqs, layers, pooling);
        for (int i = 0; i < seqs.size(); i++) {
          double[][][] alone = HiddenFeatures.extract(pm.model(), m, List.of(seqs.get(i)), layers, pooling);
          for (int k = 0; k < layers.length; k++) {
            for (int j = 0; j < alone[k][0].length; j++) {
              assertThat(Math.abs(batched[k][i][j] - alone[k][0][j])).as("%s row %d layer %d", pooling, i, k)
                  .isLessThan(1e-12);
            }
          }
        }
      }
    }
  }

  /** float32 forward: the same states within float32 rounding. */
  @ParameterizedTest
  @ValueSource(strings = {"qwen3_v5_theta1e6"})
  void float32WithinRounding(String name) throws IOException {
    JsonNode c = new ObjectMapper().readTree(GOLDENS.toFile()).get(name);
    long[] ids = new long[c.get("ids").size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = c.get("ids").get(i).asLong();
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(Path.of("src/test/resources/golden/hf", name), Precision.FLOAT32,
            AttentionImpl.COMPOSED, m)) {
      List<NDArray> states = pm.model().layerHiddenStates(ModelInput.of(m, new long[][] {ids}));
      JsonNode hs = c.get("hidden_states");
      int h = pm.model().config().hiddenSize();
      for (int k = 0; k < hs.size(); k++) {
        assertThat(states.get(k).getDataType()).isEqualTo(DataType.FLOAT32);
        double[] got = states.get(k).toType(DataType.FLOAT64, false).toDoubleArray();
        for (int t = 0; t < ids.length; t++) {
          for (int j = 0; j < h; j++) {
            assertThat(Math.abs(got[t * h + j] - hs.get(k).get(t).get(j).asDouble())).isLessThan(1e-4);
          }
        }
      }
    }
  }
}
