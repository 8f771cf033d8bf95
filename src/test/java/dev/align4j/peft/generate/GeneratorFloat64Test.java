package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Generation from a float64 model (the precision of the gradient checks and of RL's float64 tests):
 * greedy cached decoding equals a float64 recompute of the whole sequence at every step and the
 * float32 model's greedy tokens from the same weights, and each token's log-probs equal a float64
 * forward's; sampling with every processor runs and repeats for the seed. It used to fail at the
 * end of decoding, copying float64 log-probs to the host as floats.
 */
class GeneratorFloat64Test {
  private static final List<long[]> PROMPTS =
      List.of(new long[] {5, 9, 2, 44, 17, 3}, new long[] {8}, new long[] {30, 31, 32});

  private static CausalLM model(NDManager m, Precision p) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    DataType dt = p == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    return CausalLM.create(c, p, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 21, 0.5, 0.1, dt));
  }

  /** Row-major {@code [L, V]} float64 log-softmax of a whole-sequence forward. */
  private static double[] logSoftmax(NDManager m, CausalLM model, long[] seq) {
    try (NDManager s = m.newSubManager()) {
      NDArray logits = model.logits(ModelInput.of(s, new long[][] {seq}));
      return logits.toType(DataType.FLOAT64, false).logSoftmax(2).toDoubleArray();
    }
  }

  @Test
  void greedyInFloat64EqualsRecomputeAndFloat32() {
    int n = 10;
    try (NDManager m = Torch.newManager(); CausalLM f64 = model(m, Precision.FLOAT64);
        CausalLM f32 = model(m, Precision.FLOAT32)) {
      assertThat(f64.logits(ModelInput.of(m, new long[][] {PROMPTS.get(0)})).getDataType()).isEqualTo(DataType.FLOAT64);
      GenerationConfig cfg = GenerationConfig.greedy(n).withPadId(63);
      List<Completion> out = new Generator(f64).generate(PROMPTS, cfg, null);
      List<Completion> ref32 = new Generator(f32).generate(PROMPTS, cfg, null);
      int v = f64.config().vocabSize();
      for (int i = 0; i < PROMPTS.size(); i++) {
        long[] prompt = PROMPTS.get(i);
        Completion c = out.get(i);
        assertThat(c.tokens()).as("row %d: float64 vs float32 greedy", i).containsExactly(ref32.get(i).tokens());
        assertThat(c.tokens()).hasSize(n);
        long[] seq = prompt.clone();
        for (int j = 0; j < n; j++) {
          double[] lp = logSoftmax(m, f64, seq);
          int best = 0;
          for (int k = 1; k < v; k++) {
            if (lp[(seq.length - 1) * v + k] > lp[(seq.length - 1) * v + best]) {
              best = k;
            }
          }
          assertThat(c.tokens()[j]).as("row %d token %d: cached vs recompute", i, j).isEqualTo(best);
          double expected = lp[(seq.length - 1) * v + best];
          // stored as float: the float64 value rounded once
          assertThat((double) c.modelLogProbs()[j]).isCloseTo(expected, within(1e-6 + 1e-6 * Math.abs(expected)));
          assertThat(c.samplingLogProbs()[j]).isEqualTo(c.modelLogProbs()[j]);
          seq = Arrays.copyOf(seq, seq.length + 1);
          seq[seq.length - 1] = best;
        }
      }
    }
  }

  /** The root of the sampling failure: a float64 {@code -inf} scalar (the removed tokens' score) was NaN. */
  @Test
  void float64InfiniteScalarsStayInfinite() {
    try (NDManager m = Torch.newManager()) {
      NDArray x = m.create(new double[] {1.5, -2.0});
      assertThat(Kernels.scalar(x, Double.NEGATIVE_INFINITY).getDouble()).isEqualTo(Double.NEGATIVE_INFINITY);
      assertThat(Kernels.scalar(x, Double.POSITIVE_INFINITY).getDouble()).isEqualTo(Double.POSITIVE_INFINITY);
      // finite values keep their float64 remainder (to about 1e-16; a float alone is off by 1e-8)
      assertThat(Kernels.scalar(x, 1 / Math.sqrt(8)).getDouble()).isCloseTo(1 / Math.sqrt(8), within(1e-15));
    }
  }

  @Test
  void samplingInFloat64WithEveryProcessorRunsAndRepeats() {
    try (NDManager m = Torch.newManager(); CausalLM f64 = model(m, Precision.FLOAT64);
        CausalLM f32 = model(m, Precision.FLOAT32)) {
      GenerationConfig cfg = GenerationConfig.sampling(8, 0.8, 12, 0.9, 5).withRepetitionPenalty(1.3).withMinP(0.01)
          .withPadId(63);
      Generator g = new Generator(f64);
      List<Completion> a = g.generate(PROMPTS, cfg, null);
      List<Completion> b = g.generate(PROMPTS, cfg, null);
      // the same uniforms draw the same tokens from the float32 model of the same weights
      List<Completion> ref32 = new Generator(f32).generate(PROMPTS, cfg, null);
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertThat(a.get(i).tokens()).hasSize(8).containsExactly(b.get(i).tokens()).containsExactly(ref32.get(i).tokens());
        for (int j = 0; j < 8; j++) {
          assertThat(a.get(i).samplingLogProbs()[j]).isFinite().isNotPositive()
              .isCloseTo(ref32.get(i).samplingLogProbs()[j], within(1e-4f));
          assertThat(a.get(i).modelLogProbs()[j]).isFinite().isNotPositive()
              .isCloseTo(ref32.get(i).modelLogProbs()[j], within(1e-4f));
        }
      }
    }
  }
}
