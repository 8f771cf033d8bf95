package dev.align4j.peft.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.io.HostFloats;
import dev.align4j.peft.torch.Torch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class KernelsTest {
  private final Kernels k = Kernels.get();

  private static float[] randomFloats(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
    }
    return v;
  }

  @Test
  void bf16RoundTripRoundsToNearestEven() {
    float[] v = randomFloats(1000, 1);
    v[0] = 1.00390625f;          // exactly halfway between two bf16 values: ties to even (down)
    v[1] = 1.01171875f;          // halfway, rounds up to even
    try (NDManager m = Torch.newManager()) {
      NDArray bf = k.toBFloat16(m.create(v));
      assertThat(k.isBFloat16(bf)).isTrue();
      assertThat(bf.getDataType()).isEqualTo(DataType.UNKNOWN);
      float[] back = k.toFloat32(bf).toFloatArray();
      for (int i = 0; i < v.length; i++) {
        assertThat(back[i]).as("element %d", i).isEqualTo(HostFloats.bf16ToFloat(HostFloats.floatToBf16(v[i])));
      }
      assertThat(k.isBFloat16(m.create(v))).isFalse();
    }
  }

  @Test
  void gradientFlowsThroughCastsToTheFloat32Master() {
    try (NDManager m = Torch.newManager()) {
      NDArray x = m.create(new float[] {1.5f, -2f, 3.25f});
      x.setRequiresGradient(true);
      NDArray c = m.create(new float[] {0.5f, 2f, -1f});
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = k.toFloat32(k.toBFloat16(x)).mul(c).sum();
        gc.backward(y);
      }
      assertThat(x.getGradient().toFloatArray()).containsExactly(0.5f, 2f, -1f);
    }
  }

  @Test
  void bf16FromBytesDecodesExactly() {
    float[] v = randomFloats(257, 2);
    v[0] = 0f;
    v[1] = -0f;
    v[2] = Float.MIN_NORMAL;
    v[3] = 1e-40f;                   // subnormal
    v[4] = Float.POSITIVE_INFINITY;
    v[5] = Float.NEGATIVE_INFINITY;
    ByteBuffer bytes = HostFloats.floatsToBf16Bytes(v);
    byte[] raw = new byte[bytes.remaining()];
    bytes.duplicate().get(raw);
    try (NDManager m = Torch.newManager()) {
      NDArray u8 = m.create(ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder()), new Shape(raw.length), DataType.UINT8);
      NDArray bf = k.bf16FromBytes(u8, new Shape(257));
      float[] got = k.toFloat32(bf).toFloatArray();
      for (int i = 0; i < v.length; i++) {
        float want = HostFloats.bf16ToFloat(HostFloats.floatToBf16(v[i]));
        assertThat(Float.floatToIntBits(got[i])).as("element %d (%s)", i, want).isEqualTo(Float.floatToIntBits(want));
      }
    }
  }

  private static NDArray composed(NDArray q, NDArray kk, NDArray v, NDArray mask) {
    long g = q.getShape().get(1) / kk.getShape().get(1);
    NDArray k2 = kk.repeat(1, g);
    NDArray v2 = v.repeat(1, g);
    NDArray s = q.matMul(k2.transpose(0, 1, 3, 2)).div((float) Math.sqrt(q.getShape().get(3)));
    return s.add(mask).softmax(-1).matMul(v2);
  }

  private static NDArray causalMask(NDManager m, int b, int t, boolean[][] keyPad) {
    float[] mask = new float[b * t * t];
    for (int i = 0; i < b; i++) {
      for (int q = 0; q < t; q++) {
        for (int s = 0; s < t; s++) {
          boolean ok = s <= q && (keyPad == null || !keyPad[i][s]);
          mask[(i * t + q) * t + s] = ok ? 0 : -1e9f;
        }
      }
    }
    return m.create(mask, new Shape(b, 1, t, t));
  }

  @Test
  void fusedAttentionEqualsComposedInValuesAndGradients() {
    int b = 2;
    int n = 4;
    int kv = 2;
    int t = 6;
    int d = 8;
    boolean[][] pad = {{true, true, false, false, false, false}, {false, false, false, false, false, false}};
    for (boolean padded : new boolean[] {false, true}) {
      try (NDManager m = Torch.newManager()) {
        Engine.getInstance().setRandomSeed(3);
        NDArray q = m.randomNormal(new Shape(b, n, t, d));
        NDArray kk = m.randomNormal(new Shape(b, kv, t, d));
        NDArray v = m.randomNormal(new Shape(b, kv, t, d));
        NDArray w = m.randomNormal(new Shape(b, n, t, d));
        NDArray mask = causalMask(m, b, t, padded ? pad : null);
        float[][] ref = run(m, q, kk, v, w, mask, false);
        float[][] got = run(m, q, kk, v, w, padded ? mask : null, true);
        for (int i = 0; i < ref.length; i++) {
          assertThat(got[i]).as("padded=%s output %d", padded, i).containsExactly(ref[i], Offset.offset(2e-5f));
          for (float f : got[i]) {
            assertThat(f).isNotNaN();
          }
        }
      }
    }
  }

  private float[][] run(NDManager m, NDArray q, NDArray kk, NDArray v, NDArray w, NDArray mask, boolean fused) {
    NDArray[] in = {q.duplicate(), kk.duplicate(), v.duplicate()};
    for (NDArray a : in) {
      a.setRequiresGradient(true);
    }
    float[] out;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray y = fused ? k.sdpa(in[0], in[1], in[2], mask) : composed(in[0], in[1], in[2], mask);
      out = y.toFloatArray();
      gc.backward(y.mul(w).sum());
    }
    return new float[][] {out, in[0].getGradient().toFloatArray(), in[1].getGradient().toFloatArray(),
        in[2].getGradient().toFloatArray()};
  }

  @Test
  void unpacksHighNibbleFirst() {
    try (NDManager m = Torch.newManager()) {
      NDArray b = m.create(new byte[] {(byte) 0xA3, 0x0F, (byte) 0xF0}, new Shape(3)).toType(DataType.UINT8, false);
      NDArray u = k.unpackNibbles(b);
      assertThat(u.toType(DataType.INT32, false).toIntArray()).containsExactly(10, 3, 0, 15, 15, 0);
    }
  }

  @Test
  void bf16MatmulWorksOnBridgeArrays() {
    try (NDManager m = Torch.newManager()) {
      float[] a = randomFloats(64, 5);
      NDArray x = m.create(a, new Shape(8, 8));
      NDArray ref = x.matMul(x);
      NDArray got = k.toFloat32(k.toBFloat16(x).matMul(k.toBFloat16(x)));
      float[] r = ref.toFloatArray();
      float[] g = got.toFloatArray();
      for (int i = 0; i < r.length; i++) {
        assertThat(g[i]).isCloseTo(r[i], Offset.offset(0.02f * (1 + Math.abs(r[i]))));
      }
    }
  }

  @Test
  void guardRefusesWhatTheJniCannotRepresent() {
    for (DataType t : new DataType[] {DataType.BFLOAT16, DataType.INT16, DataType.UINT16, DataType.UINT32,
        DataType.UINT64, DataType.UNKNOWN}) {
      assertThatThrownBy(() -> DTypeGuard.check(t)).as(t.toString()).hasMessageContaining("cannot be passed");
    }
    assertThat(DTypeGuard.check(DataType.FLOAT16)).isEqualTo(DataType.FLOAT16);
    try (NDManager m = Torch.newManager()) {
      NDArray bf = DTypeGuard.toType(m.create(new float[] {1.5f}), DataType.BFLOAT16);
      assertThat(DTypeGuard.isDjlType(bf)).isFalse();
      assertThat(DTypeGuard.toType(bf, DataType.FLOAT64).toDoubleArray()).containsExactly(1.5);
      assertThatThrownBy(() -> DTypeGuard.toType(bf, DataType.INT16)).hasMessageContaining("int16");
    }
  }

  @Test
  void archivePickleMatchesTheProtocol() {
    byte[] p = TorchScriptArchive.modulePickle("K");
    assertThat(p).containsExactly(0x80, 2, 'c', '_', '_', 't', 'o', 'r', 'c', 'h', '_', '_', '\n', 'K', '\n',
        ')', 0x81, '}', '(', 'X', 8, 0, 0, 0, 't', 'r', 'a', 'i', 'n', 'i', 'n', 'g', 0x88, 'u', 'b', '.');
  }
}
