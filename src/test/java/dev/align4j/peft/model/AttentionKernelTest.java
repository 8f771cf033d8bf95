package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.torch.Torch;
import org.junit.jupiter.api.Test;

/** The single-query (decoding) attention equals the composed reference with repeated key/value heads. */
class AttentionKernelTest {
  @Test
  void singleQueryEqualsComposedWithGroupedHeads() {
    try (NDManager m = Torch.newManager()) {
      m.getEngine().setRandomSeed(3);
      NDArray q = m.randomNormal(new Shape(2, 6, 1, 8), DataType.FLOAT64);       // N = 6 query heads
      NDArray k = m.randomNormal(new Shape(2, 2, 5, 8), DataType.FLOAT64);       // K = 2 kv heads, G = 3
      NDArray v = m.randomNormal(new Shape(2, 2, 5, 8), DataType.FLOAT64);
      // row 1 has two padded keys
      NDArray mask = m.create(new double[] {0, 0, 0, 0, 0, AttentionMask.MASKED, AttentionMask.MASKED, 0, 0, 0},
          new Shape(2, 1, 1, 5));
      double[] want = AttentionKernel.composed(q, k, v, mask, Precision.FLOAT64).toDoubleArray();
      double[] got = AttentionKernel.singleQuery(q, k, v, mask, Precision.FLOAT64).toDoubleArray();
      assertThat(got).containsExactly(want, org.assertj.core.data.Offset.offset(1e-12));
    }
  }
}
