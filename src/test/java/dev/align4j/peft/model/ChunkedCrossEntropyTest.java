package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.TokenLoss;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chunked cross-entropy against the unchunked one (logits, log-softmax, gather) in float64, in
 * value and in both gradients, for every chunking; against central finite differences; and on whole
 * models (untied and tied heads, float32 and bfloat16) against the logits path.
 */
class ChunkedCrossEntropyTest {
  private static final int N = 7;
  private static final int H = 5;
  private static final int V = 11;
  private static final long[] LABELS = {3, 0, 10, 7, 7, 1, 5};
  private static final double[] WEIGHTS = {1, 0, 1, 1, 0.5, 1, 0};

  private static NDArray random(NDManager m, long seed, Shape shape) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble(-1.5, 1.5);
    }
    return m.create(v, shape);
  }

  /** The unchunked reference: sum_n w[n] * -log_softmax(h W^T)[n, label[n]]. */
  private static NDArray reference(NDArray h, NDArray w, NDArray labels, NDArray weights) {
    NDArray logp = h.matMul(w.transpose()).logSoftmax(-1);                     // [N, V]
    NDArray nll = logp.gather(labels.expandDims(-1), -1).squeeze(-1).neg();    // [N]
    return weights == null ? nll.sum() : nll.mul(weights).sum();
  }

  /** Loss value, grad of hidden, grad of weight, for {@code scale * loss}. */
  private static double[][] lossAndGrads(int rows, boolean weighted, boolean hGrad, boolean wGrad, double scale) {
    try (NDManager m = Torch.newManager()) {
      NDArray h = random(m, 1, new Shape(N, H));
      NDArray w = random(m, 2, new Shape(V, H));
      NDArray labels = m.create(LABELS);
      NDArray weights = weighted ? m.create(WEIGHTS) : null;
      h.setRequiresGradient(hGrad);
      w.setRequiresGradient(wGrad);
      double value;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = rows == 0 ? reference(h, w, labels, weights)
            : ChunkedCrossEntropy.nllSum(h, w, labels, weights, Precision.FLOAT64, rows);
        value = loss.getDouble();
        if (hGrad || wGrad) {
          gc.backward(loss.mul(Kernels.scalar(loss, scale)));
        }
      }
      return new double[][] {{value}, hGrad ? h.getGradient().toDoubleArray() : new double[0],
          wGrad ? w.getGradient().toDoubleArray() : new double[0]};
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 16})
  void chunkedEqualsUnchunkedInValueAndGradients(int rows) {
    for (boolean weighted : new boolean[] {true, false}) {
      double[][] ref = lossAndGrads(0, weighted, true, true, 2.5);
      double[][] got = lossAndGrads(rows, weighted, true, true, 2.5);
      assertThat(got[0][0]).as("loss, rows %d", rows).isCloseTo(ref[0][0], Offset.offset(1e-12));
      assertThat(got[1]).as("d/dh, rows %d", rows).containsExactly(ref[1], Offset.offset(1e-12));
      assertThat(got[2]).as("d/dW, rows %d", rows).containsExactly(ref[2], Offset.offset(1e-12));
    }
  }

  /**
   * Rows per chunk for n rows: chunks of one size, the last never a small remainder (511 rows at the 49k
   * vocabulary: six chunks of 86, the last 81, not six of 85 and a one-row matrix-vector product with the
   * whole head), and never more than 1.5 times the element budget.
   */
  @Test
  void chunksAreBalanced() {
    assertThat(ChunkedCrossEntropy.rowsFor(49152)).isEqualTo(85);
    assertThat(ChunkedCrossEntropy.rowsFor(511, 49152)).isEqualTo(86);
    for (long vocab : new long[] {11, 1000, 49152, 151936}) {
      long max = ChunkedCrossEntropy.rowsFor(vocab);
      for (long n = 1; n <= 2100; n++) {
        long rows = ChunkedCrossEntropy.rowsFor(n, vocab);
        long chunks = (n + rows - 1) / rows;
        assertThat(rows).as("rows, n %d vocab %d", n, vocab).isLessThanOrEqualTo(Math.max(max + max / 2, 1));
        assertThat(n - (chunks - 1) * rows).as("last chunk, n %d vocab %d", n, vocab)
            .isGreaterThanOrEqualTo(rows - chunks + 1).isLessThanOrEqualTo(rows);
      }
    }
  }

  @Test
  void frozenHeadOrFrozenInputGetsOnlyTheOtherGradient() {
    double[][] ref = lossAndGrads(0, true, true, true, 1);
    double[][] hOnly = lossAndGrads(3, true, true, false, 1);
    double[][] wOnly = lossAndGrads(3, true, false, true, 1);
    double[][] none = lossAndGrads(3, true, false, false, 1);
    assertThat(hOnly[1]).containsExactly(ref[1], Offset.offset(1e-12));
    assertThat(wOnly[2]).containsExactly(ref[2], Offset.offset(1e-12));
    assertThat(none[0][0]).isCloseTo(ref[0][0], Offset.offset(1e-12));
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    double[][] got = lossAndGrads(3, true, true, true, 1);
    double eps = 1e-6;
    for (int which = 0; which < 2; which++) {
      for (int idx : new int[] {0, 9, 17, which == 0 ? 34 : 54}) {
        double plus = perturbed(which, idx, eps);
        double minus = perturbed(which, idx, -eps);
        double numeric = (plus - minus) / (2 * eps);
        assertThat(got[1 + which][idx]).as("%s[%d]", which == 0 ? "h" : "W", idx)
            .isCloseTo(numeric, Offset.offset(1e-7 + 1e-6 * Math.abs(numeric)));
      }
    }
  }

  private static double perturbed(int which, int idx, double eps) {
    try (NDManager m = Torch.newManager()) {
      double[] h = random(m, 1, new Shape(N, H)).toDoubleArray();
      double[] w = random(m, 2, new Shape(V, H)).toDoubleArray();
      (which == 0 ? h : w)[idx] += eps;
      return ChunkedCrossEntropy.nllSum(m.create(h, new Shape(N, H)), m.create(w, new Shape(V, H)), m.create(LABELS),
          m.create(WEIGHTS), Precision.FLOAT64, 3).getDouble();
    }
  }

  /** A whole model: the chunked loss and its gradients equal the logits path's (tied and untied heads). */
  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"FLOAT32", "BFLOAT16"})
  void modelLossMatchesTheLogitsPath(Precision precision) {
    for (ModelFamily family : new ModelFamily[] {ModelFamily.LLAMA, ModelFamily.QWEN2}) {
      ModelConfig c = TinyConfigs.of(family, 40);
      Map<String, float[]> ref = modelGrads(c, precision, false);
      Map<String, float[]> got = modelGrads(c, precision, true);
      // bfloat16: the chunked head rounds the same products in other groupings (its weight gradient
      // is summed over chunks in float32); float32 agrees to rounding
      float tol = precision == Precision.BFLOAT16 ? 2e-2f : 2e-5f;
      for (String k : ref.keySet()) {
        float[] r = ref.get(k);
        float scale = 1e-6f;
        for (float x : r) {
          scale = Math.max(scale, Math.abs(x));
        }
        assertThat(got.get(k)).as("%s %s %s", family, precision, k).containsExactly(r, Offset.offset(tol * scale));
      }
    }
  }

  private static Map<String, float[]> modelGrads(ModelConfig c, Precision precision, boolean chunked) {
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 5, 0.3, 0.1, DataType.FLOAT32);
      if (precision == Precision.BFLOAT16) {
        w.replaceAll((k, v) -> Kernels.get().toBFloat16(v));
      }
      try (CausalLM model = CausalLM.create(c, precision, AttentionImpl.FUSED, m, w)) {
        model.setAllTrainable(true);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          ModelInput in = ModelInput.padded(s, new long[][] {{3, 17, 22, 8, 31, 0, 29, 5}, {9, 4, 33, 1, 1, 1, 1, 1}}, 1,
              false);
          TokenLoss.Batch b = new TokenLoss.Batch(in, s.create(new float[] {1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0},
              new Shape(2, 7)), 9);
          NDArray loss = chunked ? TokenLoss.sumNll(model, b)
              : TokenLoss.sumNllFromLogits(model.logits(model.hiddenStates(in, null)), b);
          out.put("loss", new float[] {loss.getFloat()});
          gc.backward(loss);
        }
        for (Parameter p : model.parameters().values()) {
          out.put(p.name(), p.data().getGradient().toFloatArray());
        }
        return out;
      }
    }
  }
}
