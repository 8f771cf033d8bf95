package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4Test {
  /** The NF4 values as listed in bitsandbytes (QLoRA paper appendix), typed in independently. */
  private static final double[] EXPECTED_CODEBOOK = {
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
  };

  /** Brute-force nearest code (first index wins a tie), independent of the decision tree. */
  private static int nearest(float x) {
    float[] c = Nf4.codebook();
    int best = 0;
    for (int i = 1; i < c.length; i++) {
      if (Math.abs(x - c[i]) < Math.abs(x - c[best])) {
        best = i;
      }
    }
    return best;
  }

  private static double maxHalfGap() {
    double g = 0;
    for (int i = 0; i + 1 < EXPECTED_CODEBOOK.length; i++) {
      g = Math.max(g, (EXPECTED_CODEBOOK[i + 1] - EXPECTED_CODEBOOK[i]) / 2);
    }
    return g;
  }

  @Test
  void codebookMatchesBitsandbytes() {
    float[] c = Nf4.codebook();
    assertThat(c).hasSize(16);
    for (int i = 0; i < 16; i++) {
      assertThat(c[i]).isEqualTo((float) EXPECTED_CODEBOOK[i]);
    }
    c[0] = 42f; // the accessor hands out a copy
    assertThat(Nf4.codebook()[0]).isEqualTo(-1.0f);
  }

  @Test
  void decisionTreeEqualsNearestCode() {
    Random r = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      float x = r.nextFloat() * 2.2f - 1.1f;
      assertThat(Nf4.quantizeValue(x)).as("x=%s", x).isEqualTo(nearest(x));
    }
    for (int i = 0; i < 16; i++) {
      assertThat(Nf4.quantizeValue((float) EXPECTED_CODEBOOK[i])).isEqualTo(i);
    }
    assertThat(Nf4.quantizeValue(Float.NaN)).isZero(); // kernel: all comparisons false
  }

  @Test
  void byteLayoutHandComputed() {
    // absmax 2 -> scaled values -1, 1, 0, 0.25, 0.5, -0.5, 0.9, -0.1
    float[] w = {-2f, 2f, 0f, 0.5f, 1f, -1f, 1.8f, -0.2f};
    // -1 -> 0; 1 -> 15; 0 -> 7; 0.25 -> 10 (0.2461); 0.5 -> 12 (0.4407 beats 0.5626);
    // -0.5 -> 2 (-0.5251); 0.9 -> 15 (midpoint 0.8615); -0.1 -> 6 (-0.0911)
    byte[] expected = {(byte) 0x0F, (byte) 0x7A, (byte) 0xC2, (byte) 0xF6};
    Nf4Tensor t = Nf4.quantize(w, new long[] {2, 4}, 64, false);
    assertThat(t.packed()).containsExactly(expected);
    assertThat(t.absmax()).containsExactly(2f);
    float[] deq = Nf4.dequantize(t);
    assertThat(deq[0]).isEqualTo(-2f);
    assertThat(deq[3]).isEqualTo(0.24611230194568634f * 2f);
    assertThat(deq[4]).isEqualTo(0.44070982933044434f * 2f);
  }

  @Test
  void blocksHaveTheirOwnAbsmaxAndNibblesFollowEvenHigh() {
    float[] w = new float[130];
    Random r = new Random(1);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian() * (i < 64 ? 1f : i < 128 ? 0.01f : 5f);
    }
    Nf4Tensor t = Nf4.quantize(w, new long[] {130}, 64, false);
    assertThat(t.absmax()).hasSize(3);
    for (int b = 0; b < 3; b++) {
      float m = 0;
      for (int i = b * 64; i < Math.min(130, b * 64 + 64); i++) {
        m = Math.max(m, Math.abs(w[i]));
      }
      assertThat(t.absmax()[b]).isEqualTo(m);
    }
    for (int i = 0; i < w.length; i++) {
      int q = nearest(w[i] * (1f / t.absmax()[i / 64]));
      int b = t.packed()[i / 2] & 0xFF;
      assertThat(i % 2 == 0 ? b >> 4 : b & 0xF).as("element %d", i).isEqualTo(q);
    }
  }

  @Test
  void roundTripErrorIsWithinHalfTheLargestCodeGap() {
    Random r = new Random(3);
    float[] w = new float[64 * 50 + 17];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.02);
    }
    Nf4Tensor t = Nf4.quantize(w, new long[] {w.length}, 64, false);
    float[] deq = Nf4.dequantize(t);
    double bound = maxHalfGap();
    double worst = 0;
    for (int i = 0; i < w.length; i++) {
      float a = t.absmax()[i / 64];
      double err = Math.abs(w[i] - deq[i]);
      assertThat(err).as("element %d", i).isLessThanOrEqualTo(a * bound * (1 + 1e-6));
      worst = Math.max(worst, err / a);
    }
    assertThat(worst).isGreaterThan(0.01); // the bound is exercised, not vacuous
  }

  @Test
  void oddSizesPadTheLastLowNibbleWithZeroCode() {
    for (int n : new int[] {1, 3, 63, 65, 127, 129}) {
      float[] w = new float[n];
      for (int i = 0; i < n; i++) {
        w[i] = (i % 3 - 1) * 0.5f + 0.01f * i;
      }
      Nf4Tensor t = Nf4.quantize(w, new long[] {n}, 64, false);
      assertThat(t.packed()).hasSize((n + 1) / 2);
      assertThat(t.absmax()).hasSize((n + 63) / 64);
      assertThat(t.packed()[n / 2] & 0x0F).as("n=%d pad nibble", n).isEqualTo(7);
      float[] deq = Nf4.dequantize(t);
      assertThat(deq).hasSize(n);
      for (int i = 0; i < n; i++) {
        assertThat((double) Math.abs(w[i] - deq[i])).isLessThanOrEqualTo(t.absmax()[i / 64] * maxHalfGap() * 1.000001);
      }
    }
  }

  @Test
  void zeroBlockDequantisesToZero() {
    float[] w = new float[128];
    w[100] = 3f;
    Nf4Tensor t = Nf4.quantize(w, new long[] {128}, 64, false);
    assertThat(t.absmax()[0]).isZero();
    float[] deq = Nf4.dequantize(t);
    for (int i = 0; i < 64; i++) {
      assertThat(deq[i]).isZero(); // code 0 (NaN path) times absmax 0
    }
    assertThat(deq[100]).isEqualTo(3f);
  }

  @Test
  void doubleQuantRoundTripBoundOnAbsmax() {
    Random r = new Random(11);
    int blocks = 600; // three nested blocks, the last partial
    float[] w = new float[64 * blocks];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * (0.01 + (i / 64) * 1e-4));
    }
    Nf4Tensor plain = Nf4.quantize(w, new long[] {blocks, 64}, 64, false);
    Nf4Tensor dq = Nf4.quantize(w, new long[] {blocks, 64}, 64, true);
    assertThat(dq.packed()).containsExactly(plain.packed()); // the codes do not depend on the nesting
    DoubleQuant n = dq.nested();
    assertThat(n.codes()).hasSize(blocks);
    assertThat(n.absmax()).hasSize(3);
    double mean = 0;
    for (float a : plain.absmax()) {
      mean += a;
    }
    mean /= blocks;
    assertThat((double) n.offset()).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-7 * mean));
    float[] map = DynamicMap.signed();
    double half = 0;
    for (int i = 0; i + 1 < map.length; i++) {
      half = Math.max(half, (map[i + 1] - map[i]) / 2.0);
    }
    float[] back = dq.blockAbsmax();
    for (int b = 0; b < blocks; b++) {
      double a2 = n.absmax()[b / 256];
      assertThat((double) Math.abs(back[b] - plain.absmax()[b])).as("block %d", b)
          .isLessThanOrEqualTo(a2 * half * 1.0001 + 1e-7);
    }
    float[] deq = Nf4.dequantize(dq);
    for (int i = 0; i < w.length; i++) {
      assertThat(deq[i]).isEqualTo(Nf4.codebook()[code(dq, i)] * back[i / 64]);
    }
  }

  private static int code(Nf4Tensor t, int i) {
    int b = t.packed()[i / 2] & 0xFF;
    return i % 2 == 0 ? b >> 4 : b & 0xF;
  }

  @Test
  void storageBytesCountsPackedAndScales() {
    float[] w = new float[4096];
    Random r = new Random(5);
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextFloat() - 0.5f;
    }
    Nf4Tensor plain = Nf4.quantize(w, new long[] {64, 64}, false);
    assertThat(plain.storageBytes()).isEqualTo(2048 + 64 * 4);
    assertThat(plain.bytesPerParameter()).isEqualTo(0.5625);
    Nf4Tensor dq = Nf4.quantize(w, new long[] {64, 64}, true);
    assertThat(dq.storageBytes()).isEqualTo(2048 + 64 + 4 + 4);
  }

  @Test
  void deterministicAndValidated() {
    float[] w = new float[333];
    Random r = new Random(9);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    Nf4Tensor a = Nf4.quantize(w, new long[] {333}, 64, true);
    Nf4Tensor b = Nf4.quantize(w, new long[] {333}, 64, true);
    assertThat(a.packed()).containsExactly(b.packed());
    assertThat(a.nested().codes()).containsExactly(b.nested().codes());
    assertThat(a.nested().absmax()).containsExactly(b.nested().absmax());
    assertThat(a.nested().offset()).isEqualTo(b.nested().offset());
    assertThatThrownBy(() -> Nf4.quantize(w, new long[] {2, 100}, 64, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 100]");
    assertThatThrownBy(() -> Nf4.quantize(w, new long[] {333}, 0, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Nf4Tensor(new byte[3], new float[1], null, new long[] {8}, 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packed bytes");
  }
}
