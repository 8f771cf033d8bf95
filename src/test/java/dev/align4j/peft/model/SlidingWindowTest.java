package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sliding-window attention by its invariants (transformers' own outputs are in HfGoldenTest and the
 * interop check): a window as long as the sequence changes nothing, and with one layer the last
 * position sees exactly the last {@code window} tokens at their own positions.
 */
class SlidingWindowTest {
  private static ModelConfig config(int layers, SlidingWindow window) {
    ModelConfig b = TinyConfigs.of(ModelFamily.MISTRAL);
    return new ModelConfig(b.family(), b.vocabSize(), b.hiddenSize(), b.intermediateSize(), layers, b.numHeads(),
        b.numKvHeads(), b.headDim(), b.rmsNormEps(), b.ropeTheta(), null, b.maxPositionEmbeddings(), false, false,
        "float32", false, window);
  }

  private static double[] lastLogits(CausalLM model, NDManager m, long[] ids, long[] positions) {
    NDArray in = m.create(new long[][] {ids});
    NDArray pos = m.create(new long[][] {positions});
    NDArray logits = model.logits(new ModelInput(in, null, pos));                   // [1, T, V]
    return logits.get("0, -1, :").toType(DataType.FLOAT64, false).toDoubleArray();
  }

  @Test
  void windowAsLongAsTheSequenceChangesNothingAndAShorterOneLimitsWhatIsSeen() {
    long[] ids = {5, 17, 3, 44, 9, 21, 8, 30, 2, 11};
    long[] positions = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(config(1, null), m, 3, 0.3, 0.2, DataType.FLOAT32);
      try (CausalLM plain = CausalLM.create(config(1, null), Precision.FLOAT32, AttentionImpl.COMPOSED, m, copy(w, m));
          CausalLM wide = CausalLM.create(config(1, new SlidingWindow(10, List.of(0))), Precision.FLOAT32,
              AttentionImpl.COMPOSED, m, copy(w, m));
          CausalLM narrow = CausalLM.create(config(1, new SlidingWindow(4, List.of(0))), Precision.FLOAT32,
              AttentionImpl.FUSED, m, copy(w, m))) {
        double[] full = lastLogits(plain, m, ids, positions);
        assertThat(lastLogits(wide, m, ids, positions)).containsExactly(full);
        double[] windowed = lastLogits(narrow, m, ids, positions);
        // one layer: the last query sees tokens 6..9 only, at their positions
        double[] tail = lastLogits(plain, m, new long[] {8, 30, 2, 11}, new long[] {6, 7, 8, 9});
        for (int k = 0; k < tail.length; k++) {
          assertThat(windowed[k]).isCloseTo(tail[k], org.assertj.core.data.Offset.offset(2e-5));
        }
        assertThat(Math.abs(windowed[0] - full[0]) + Math.abs(windowed[1] - full[1])).isGreaterThan(1e-3);
      }
    }
  }

  @Test
  void cachedChunksEqualOneForwardWithASlidingLayer() {
    long[] ids = {5, 17, 3, 44, 9, 21, 8, 30, 2, 11};
    ModelConfig c = config(2, new SlidingWindow(3, List.of(1)));
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 4, 0.3, 0.2, DataType.FLOAT32));
        KvCache cache = new KvCache(m, c.numLayers())) {
      float[] full = model.logits(ModelInput.of(m, new long[][] {ids})).toFloatArray();
      int v = c.vocabSize();
      int pos = 0;
      for (int len : new int[] {2, 1, 4, 1, 2}) {   // the window takes effect from the third key on
        long[] chunk = java.util.Arrays.copyOfRange(ids, pos, pos + len);
        float[] got = model.logits(model.hiddenStates(ModelInput.of(m, new long[][] {chunk}), cache)).toFloatArray();
        for (int i = 0; i < len * v; i++) {
          assertThat(got[i]).as("position %d", pos + i / v)
              .isCloseTo(full[pos * v + i], org.assertj.core.data.Offset.offset(2e-5f));
        }
        pos += len;
      }
    }
  }

  private static Map<String, NDArray> copy(Map<String, NDArray> w, NDManager m) {
    java.util.LinkedHashMap<String, NDArray> out = new java.util.LinkedHashMap<>();
    w.forEach((k, v) -> out.put(k, v.duplicate()));
    return out;
  }
}
