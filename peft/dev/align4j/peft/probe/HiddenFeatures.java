package dev.align4j.peft.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Pooled hidden states of chosen layers ({@link CausalLM#layerHiddenStates} indices: 0 the
 * embeddings, {@code L} the final normed states) for token sequences, on host doubles. Sequences run
 * in batches of similar length, padded on the right: causal attention never lets a real position see
 * the pads after it, and pooling reads only the sequence's own positions, so each row is what it is
 * alone (to float rounding of the batched matmuls).
 */
public final class HiddenFeatures {
  /** Sequences per forward. */
  static final int BATCH = 16;

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
    Integer[] order = new Integer[sequences.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      if (sequences.get(i).length == 0) {
        throw new IllegalArgumentException("sequence " + i + " has no tokens");
      }
    }
    Arrays.sort(order, Comparator.comparingInt(i -> sequences.get(i).length));   // stable: ties keep input order
    for (int from = 0; from < order.length; from += BATCH) {
      int b = Math.min(BATCH, order.length - from);
      long[][] rows = new long[b][];
      for (int k = 0; k < b; k++) {
        rows[k] = sequences.get(order[from + k]);
      }
      try (NDManager step = parent.newSubManager()) {
        ModelInput in = ModelInput.padded(step, rows, 0, false);
        int t = in.length();
        List<NDArray> states = model.layerHiddenStates(in);                     // (L+1) x [B, T, H]
        for (int k = 0; k < layers.length; k++) {
          double[] flat = states.get(layers[k]).toType(DataType.FLOAT64, false).toDoubleArray();   // [B * T * H]
          for (int r = 0; r < b; r++) {
            int len = rows[r].length;
            double[] own = Arrays.copyOfRange(flat, r * t * h, (r * t + len) * h);                 // [len * H]
            out[k][order[from + r]] = pooling.pool(own, h);
          }
        }
      }
    }
    return out;
  }
}
