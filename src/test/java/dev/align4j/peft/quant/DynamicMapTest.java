package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DynamicMapTest {
  /** create_dynamic_map(signed=True) evaluated in exact-ish double arithmetic, independently. */
  private static double[] formulaInDouble() {
    List<Double> data = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      int n = (1 << i) + 1;
      double scale = Math.pow(10, i - 6);
      for (int j = 0; j + 1 < n; j++) {
        double b0 = 0.1 + 0.9 * j / (n - 1);
        double b1 = 0.1 + 0.9 * (j + 1) / (n - 1);
        data.add(scale * (b0 + b1) / 2);
        data.add(-scale * (b0 + b1) / 2);
      }
    }
    data.add(0.0);
    data.add(1.0);
    Collections.sort(data);
    return data.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void matchesTheFormulaAndKnownEntries() {
    float[] map = DynamicMap.signed();
    double[] ref = formulaInDouble();
    assertThat(map).hasSize(256);
    for (int i = 0; i < 256; i++) {
      assertThat((double) map[i]).as("entry %d", i)
          .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(Math.abs(ref[i]) * 3e-7));
      if (i > 0) {
        assertThat(map[i]).isGreaterThan(map[i - 1]); // sorted, all distinct
      }
    }
    assertThat(map[127]).isEqualTo(0f);
    assertThat(map[255]).isEqualTo(1f);
    assertThat(map[0]).isEqualTo(-map[254]);
    // largest non-unit magnitude: (1 - 0.9/64 + 1) / 2
    assertThat((double) map[254]).isCloseTo(0.99296875, org.assertj.core.data.Offset.offset(1e-7));
    // smallest magnitude: 1e-6 * (0.1 + 1) / 2
    assertThat((double) map[128]).isCloseTo(5.5e-7, org.assertj.core.data.Offset.offset(1e-13));
    assertThat(map[126]).isEqualTo(-map[128]);
  }

  @Test
  void linspaceMatchesTorch() {
    try (NDManager m = Torch.newManager()) {
      for (int n : new int[] {2, 3, 5, 9, 17, 33, 65}) {
        NDArray t = m.linspace(0.1f, 1.0f, n, true);
        assertThat(DynamicMap.linspace(0.1f, 1.0f, n)).as("n=%d", n).containsExactly(t.toFloatArray());
      }
    }
  }

  @Test
  void wholeMapMatchesTorchArithmetic() {
    // The same recipe as bitsandbytes' create_dynamic_map, each step executed by libtorch.
    List<Float> vals = new ArrayList<>();
    try (NDManager m = Torch.newManager()) {
      for (int i = 0; i < 7; i++) {
        int n = (1 << i) + 1;
        NDArray b = m.linspace(0.1f, 1.0f, n, true);
        NDArray means = b.get("0:" + (n - 1)).add(b.get("1:")).div(2.0f);
        float scale = (float) Math.pow(10, i - 6);
        for (float v : means.mul(scale).toFloatArray()) {
          vals.add(v);
        }
        for (float v : means.mul(-scale).toFloatArray()) {
          vals.add(v);
        }
      }
    }
    vals.add(0f);
    vals.add(1f);
    Collections.sort(vals);
    float[] map = DynamicMap.signed();
    for (int i = 0; i < 256; i++) {
      assertThat(map[i]).as("entry %d", i).isEqualTo(vals.get(i));
    }
  }

  @Test
  void blockwise8bitSearchEqualsNearestEntry() {
    float[] map = DynamicMap.signed();
    Random r = new Random(2);
    for (int k = 0; k < 100_000; k++) {
      float x = (float) (r.nextBoolean() ? r.nextGaussian() * 0.3 : (r.nextFloat() * 2 - 1) * Math.pow(10, -r.nextInt(7)));
      x = Math.max(-1f, Math.min(1f, x));
      int got = Blockwise8bit.quantizeOne(map, x);
      int best = 0;
      for (int i = 1; i < 256; i++) {
        if (Math.abs(x - map[i]) < Math.abs(x - map[best])) {
          best = i;
        }
      }
      // exact ties (x on a float32 midpoint) may go either way; otherwise the entry must be nearest
      assertThat(Math.abs(x - map[got])).as("x=%s got %d best %d", x, got, best)
          .isEqualTo(Math.abs(x - map[best]));
    }
    for (int i = 0; i < 256; i++) {
      assertThat(Blockwise8bit.quantizeOne(map, map[i])).isEqualTo(i);
    }
  }

  @Test
  void blockwise8bitRoundTrip() {
    float[] map = DynamicMap.signed();
    float[] x = new float[600];
    Random r = new Random(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    Blockwise8bit.Quantized q = Blockwise8bit.quantize(x, map, 256);
    assertThat(q.absmax()).hasSize(3);
    float[] back = Blockwise8bit.dequantize(q, map);
    for (int i = 0; i < x.length; i++) {
      float a = q.absmax()[i / 256];
      assertThat(back[i]).isEqualTo(map[q.codes()[i] & 0xFF] * a);
      assertThat((double) Math.abs(back[i] - x[i])).isLessThanOrEqualTo(a * 0.0071);
    }
  }
}
