package dev.align4j.peft.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.torch.Torch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * LoRA's {@code y + (s A x) B^T} as one {@code addmm} gives bit for bit what the addition it replaced
 * gave ({@code y.add(Linear.linear(x, w))}), in value and in the gradients of all three inputs, at the
 * LoRA step's shapes (rank 16, outputs 576, 192 and 1536, 512 tokens; also a few rows and a batch), so
 * SFT's numbers do not move.
 */
class LinearAddKernelTest {
  @Test
  void equalsAddAfterLinearBitForBit() {
    long[][] shapes = {{1, 512, 16, 576}, {1, 512, 16, 192}, {1, 512, 16, 1536}, {3, 7, 8, 33}};
    for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      for (long[] s : shapes) {
        double[][] composed = run(s, type, false);
        double[][] fused = run(s, type, true);
        for (int i = 0; i < composed.length; i++) {
          // counted here, not by containsExactly: AssertJ's diff of 786k elements runs for minutes
          long differ = 0;
          double max = 0;
          for (int j = 0; j < composed[i].length; j++) {
            if (Double.doubleToRawLongBits(fused[i][j]) != Double.doubleToRawLongBits(composed[i][j])) {
              differ++;
              max = Math.max(max, Math.abs(fused[i][j] - composed[i][j]));
            }
          }
          assertThat(fused[i].length).isEqualTo(composed[i].length);
          assertThat(differ).as("%s %s, output %d: elements that differ (largest difference %g)", type,
              Arrays.toString(s), i, max).isZero();
        }
      }
    }
  }

  /**
   * The output and the gradients of the base input h, the base weight wb, x and w of {@code sum(out * g)},
   * with {@code y = h wb^T} a base linear layer's output as in LoRA.
   */
  private static double[][] run(long[] s, DataType type, boolean fused) {
    try (NDManager m = Torch.newManager()) {
      Engine.getInstance().setRandomSeed(7);
      NDArray h = m.randomNormal(new Shape(s[0], s[1], 24)).toType(type, false);
      NDArray wb = m.randomNormal(0f, 0.2f, new Shape(s[3], 24), DataType.FLOAT32).toType(type, false);
      NDArray x = m.randomNormal(new Shape(s[0], s[1], s[2])).toType(type, false);
      NDArray w = m.randomNormal(0f, 0.3f, new Shape(s[3], s[2]), DataType.FLOAT32).toType(type, false);
      NDArray g = m.randomNormal(new Shape(s[0], s[1], s[3])).toType(type, false);
      for (NDArray t : new NDArray[] {h, wb, x, w}) {
        t.setRequiresGradient(true);
      }
      double[] out;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        // [B, T, n]; with a batch, a non-contiguous y (the linear layer run on [T, B, in], then transposed)
        NDArray y = s[0] == 1 ? Linear.linear(h, wb).singletonOrThrow()
            : Linear.linear(h.transpose(1, 0, 2), wb).singletonOrThrow().transpose(1, 0, 2);
        NDArray o = fused ? Kernels.get().linearAdd(y, x, w) : y.add(Linear.linear(x, w).singletonOrThrow());
        assertThat(o.getShape()).isEqualTo(new Shape(s[0], s[1], s[3]));
        out = d(o);
        gc.backward(o.mul(g).sum());
      }
      return new double[][] {out, d(h.getGradient()), d(wb.getGradient()), d(x.getGradient()), d(w.getGradient())};
    }
  }

  /** Values as float64 (exact for float32). */
  private static double[] d(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
