package dev.align4j.peft.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.List;

/**
 * Pooled hidden states of chosen layers ({@link CausalLM#layerHiddenStates} indices: 0 the
 * embeddings, {@code L} the final normed states) for token sequences, one forward per sequence (no
 * padding, so pooling sees exactly the sequence's tokens), on host doubles.
 */
public final class HiddenFeatures {
  private HiddenFeatures() {}

  /**
   * Features {@code [layers.length][sequences.size()][H]}.
   *
   * @param layers indices into the {@code L + 1} hidden states
   */
  public static double[][][] extract(
      CausalLM model, NDManager parent, List<long[]> sequences, int[] layers, Pooling pooling) {
    int count = model.config().numLayers() + 1;
    for (int l : layers) {
      if (l < 0 || l >= count) {
        throw new IllegalArgumentException("layer " + l + " is out of range: the model has hidden states 0.." + (count - 1));
      }
    }
    int h = model.config().hiddenSize();
    double[][][] out = new double[layers.length][sequences.size()][];
    for (int i = 0; i < sequences.size(); i++) {
      long[] ids = sequences.get(i);
      if (ids.length == 0) {
        throw new IllegalArgumentException("sequence " + i + " has no tokens");
      }
      try (NDManager step = parent.newSubManager()) {
        List<NDArray> states = model.layerHiddenStates(ModelInput.of(step, new long[][] {ids}));   // (L+1) x [1, T, H]
        for (int k = 0; k < layers.length; k++) {
          double[] flat = states.get(layers[k]).toType(DataType.FLOAT64, false).toDoubleArray();   // [T * H]
          out[k][i] = pooling.pool(flat, h);
        }
      }
    }
    return out;
  }
}
