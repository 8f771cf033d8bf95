package dev.align4j.peft.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.torch.Torch;
import org.junit.jupiter.api.Test;

/**
 * The fused cross-entropy gradient kernel gives bit for bit what the composed ops it replaced gave
 * ({@code (exp(logp) - onehot(labels)) * w}), so the chunked loss's gradients (and SFT's numbers) do not
 * move.
 */
class NllGradKernelTest {
  @Test
  void equalsTheComposedOpsBitForBit() {
    for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      try (NDManager m = Torch.newManager()) {
        NDArray logits = m.randomNormal(0f, 3f, new Shape(7, 1000), DataType.FLOAT32).toType(type, false);
        NDArray logp = logits.logSoftmax(-1);
        double[] before = d(logp);
        NDArray labels = m.create(new long[] {0, 999, 5, 5, 17, 500, 3});
        NDArray w = m.create(new float[] {1f, 0f, 0.5f, 2f, 1f, 1f, 0.25f}).toType(type, false);
        NDArray composed = logp.exp().sub(labels.oneHot(1000, type));
        NDArray weighted = composed.mul(w.expandDims(-1));
        NDArray unweighted = Kernels.get().nllGrad(logp, labels, m.create(new float[0]));
        NDArray fused = Kernels.get().nllGrad(logp, labels, w);
        assertThat(unweighted.getDataType()).isEqualTo(type);
        assertThat(d(unweighted)).as("%s, unweighted", type).containsExactly(d(composed));
        assertThat(d(fused)).as("%s, weighted", type).containsExactly(d(weighted));
        assertThat(d(logp)).as("logp untouched").containsExactly(before);
      }
    }
  }

  /** Values as float64 (exact for float32). */
  private static double[] d(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
