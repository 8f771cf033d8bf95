package dev.align4j.rl.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.LayeredForward;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.rl.TinyPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chunked token log-probs and entropies equal the whole-batch computation in value and in the
 * gradients they backpropagate (float64, one row per chunk against one chunk against the whole-batch
 * path); the layer-by-layer no-grad forward equals the plain forward bit for bit; and the chunked path
 * never holds the whole batch's {@code [B, T, V]} arrays, measured as the peak RSS of the computation
 * (Linux's resettable high-water mark) at a 151,669-token vocabulary, where one such float32 array is
 * 78 MB and the whole-batch path holds several.
 */
@Tag("memory")   // measures RSS: Surefire runs this class with the heap pre-touched (pom.xml)
class TokenStatsTest {
  static final int B = 5;
  static final int L = 9;

  /** Values [logp..., entropy...] and then the policy adapter's gradients of sum(g * logp), for one chunk size. */
  private static List<double[]> run(long chunkElements, double temperature) {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT64, "policy")) {
      tp.peft.setTrainable("policy");
      SplittableRandom r = new SplittableRandom(3);
      long[][] ids = new long[B][L];
      for (long[] row : ids) {
        for (int j = 0; j < L; j++) {
          row[j] = 1 + r.nextInt(59);
        }
      }
      double[] g = new double[B * (L - 1)];
      for (int i = 0; i < g.length; i++) {
        g[i] = 2 * r.nextDouble() - 1;
      }
      List<double[]> out = new ArrayList<>();
      try (NDManager s = tp.model.manager().newSubManager();
          GradientCollector gc = Engine.getInstance().newGradientCollector();
          AdapterScope a = tp.peft.use("policy")) {
        ModelInput in = ModelInput.of(s, ids);
        NDArray h = tp.model.hiddenStates(in, null).get(":, :-1, :");           // [B, L-1, H]
        NDArray labels = in.inputIds().get(":, 1:");                            // [B, L-1]
        TokenStats.Result st = chunkElements == 0 ? TokenStats.wholeBatch(tp.model, h, labels, temperature, true)
            : TokenStats.compute(tp.model, h, labels, temperature, true, chunkElements);
        out.add(st.logProbs().toType(DataType.FLOAT64, false).toDoubleArray());
        out.add(st.entropy().toType(DataType.FLOAT64, false).toDoubleArray());
        out.add(new double[] {st.chunkRows()});
        gc.backward(st.logProbs().mul(s.create(g, new Shape(B, L - 1))).sum());
      }
      for (Parameter p : tp.peft.parametersOf("policy")) {
        out.add(p.data().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
      }
      return out;
    }
  }

  @Test
  void chunkedEqualsWholeBatchInValuesAndGradients() {
    for (double temperature : new double[] {1.0, 0.7}) {
      List<double[]> whole = run(0, temperature);
      for (long elements : new long[] {1, 3L * 8 * 64, 1L << 22}) {
        List<double[]> got = run(elements, temperature);
        int rows = TokenStats.rowsFor(L - 1, 64, elements);
        assertThat(got.get(2)[0]).isEqualTo(rows);
        assertThat(got.size()).isEqualTo(whole.size());
        for (int k = 0; k < got.size(); k++) {
          if (k == 2) {
            continue;
          }
          double[] w = whole.get(k);
          double[] x = got.get(k);
          assertThat(x.length).isEqualTo(w.length);
          double scale = 0;
          for (double v : w) {
            scale = Math.max(scale, Math.abs(v));
          }
          for (int i = 0; i < w.length; i++) {
            assertThat(x[i]).as("array %d element %d, %d rows per chunk, T %s", k, i, rows, temperature)
                .isCloseTo(w[i], Offset.offset(1e-12 * Math.max(1, scale)));
          }
        }
        // and the gradients are not trivially zero
        assertThat(got.subList(3, got.size()).stream().flatMapToDouble(java.util.Arrays::stream)
            .map(Math::abs).max().orElse(0)).isGreaterThan(1e-6);
      }
    }
  }

  @Test
  void layeredForwardEqualsPlainForwardBitForBit() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "policy");
        NDManager s = tp.model.manager().newSubManager();
        AdapterScope a = tp.peft.use("policy")) {
      ModelInput in = ModelInput.padded(s, new long[][] {{5, 6, 7, 8}, {9, 10}}, 0, true);
      float[] plain = tp.model.hiddenStates(in, null).toFloatArray();
      float[] layered = LayeredForward.hiddenStates(tp.model, in).toFloatArray();
      assertThat(layered).containsExactly(plain);
    }
  }

  /** Current RSS in bytes after resetting the high-water mark to it, or -1 where Linux does not allow it. */
  private static long resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return status("VmRSS:");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
      }
    }
    throw new IOException("no " + field);
  }

  /** Peak RSS above the starting RSS while computing the stats (no autograd) with {@code chunkElements} (0: whole batch). */
  private static long peakGrowth(CausalLM model, NDArray h, NDArray labels, long chunkElements) throws IOException {
    try (NDManager s = h.getManager().newSubManager()) {
      NDArray hs = h.duplicate();
      hs.attach(s);
      long before = resetPeak();
      TokenStats.Result st = chunkElements == 0 ? TokenStats.wholeBatch(model, hs, labels, 1.0, true)
          : TokenStats.compute(model, hs, labels, 1.0, true, chunkElements);
      st.logProbs().toFloatArray();
      st.entropy().toFloatArray();
      return status("VmHWM:") - before;
    }
  }

  @Test
  void chunkedPathNeverHoldsTheWholeBatchLogits() throws IOException {
    assumeTrue(resetPeak() > 0, "needs Linux's /proc/self/clear_refs");
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2, 151_669);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      // 16 rows: one [B, T, V] copy (155 MB) is 16 chunks of one row
      int b = 16;
      int t = 16;
      long oneCopy = (long) b * t * c.vocabSize() * 4;                          // 155 MB
      SplittableRandom r = new SplittableRandom(1);
      float[] hv = new float[b * t * c.hiddenSize()];
      long[] lv = new long[b * t];
      for (int i = 0; i < hv.length; i++) {
        hv[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < lv.length; i++) {
        lv[i] = r.nextInt(c.vocabSize());
      }
      NDArray h = m.create(hv, new Shape(b, t, c.hiddenSize()));
      NDArray labels = m.create(lv, new Shape(b, t));
      // once each first: one-off allocations (GEMM workspaces for a new shape, caches) are not the point
      peakGrowth(model, h, labels, TokenStats.CHUNK_ELEMENTS);
      peakGrowth(model, h, labels, 0);
      // RSS also grows with the JVM's own heap and code (seen up to +130 MB in one measurement on CI), noise
      // that only adds: the least of three measurements is the path's own peak
      long whole = Long.MAX_VALUE;
      long chunked = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        whole = Math.min(whole, peakGrowth(model, h, labels, 0));
        chunked = Math.min(chunked, peakGrowth(model, h, labels, TokenStats.CHUNK_ELEMENTS));
      }
      System.err.printf("TokenStatsTest: peak growth whole-batch %d MB, chunked %d MB, one [B, T, V] copy %d MB%n",
          whole >> 20, chunked >> 20, oneCopy >> 20);
      // the measurement sees the whole-batch path's logits, log-softmax and entropy temporaries ...
      assertThat(whole).as("whole-batch peak growth").isGreaterThan(2 * oneCopy);
      // ... and the chunked path stays below one whole-batch copy (a chunk is one row: 1/16 of it)
      assertThat(chunked).as("chunked peak growth").isLessThan(oneCopy);
    }
  }
}
