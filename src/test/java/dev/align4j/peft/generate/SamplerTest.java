package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.torch.Torch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  // probabilities at temperature 1: ln of 0.5, 0.25, 0.15, 0.1
  private static final float[] LOGITS = {
    (float) Math.log(0.1), (float) Math.log(0.5), (float) Math.log(0.15), (float) Math.log(0.25)
  };

  /** The distribution draws come from: softmax of the processed scores of one row. */
  private static double[] distribution(float[] logits, double temperature, int topK, double topP) {
    try (NDManager m = Torch.newManager()) {
      GenerationConfig cfg = GenerationConfig.sampling(1, temperature, topK, topP, 0);
      NDArray scores = LogitsProcessors.apply(m.create(logits, new Shape(1, logits.length)), null, cfg);
      float[] p = Sampler.probabilities(scores).toFloatArray();
      double[] out = new double[p.length];
      for (int i = 0; i < p.length; i++) {
        out[i] = p[i];
      }
      return out;
    }
  }

  @Test
  void topKKeepsTheKMostLikelyRenormalised() {
    double[] p = distribution(LOGITS, 1.0, 2, 1.0);
    assertThat(p).containsExactly(new double[] {0, 0.5 / 0.75, 0, 0.25 / 0.75}, within(1e-6));
  }

  @Test
  void topPKeepsSmallestPrefixReachingP() {
    // sorted 0.5, 0.25, 0.15, 0.1: p=0.7 needs 0.5+0.25 (0.75 >= 0.7)
    assertThat(distribution(LOGITS, 1.0, 0, 0.7))
        .containsExactly(new double[] {0, 0.5 / 0.75, 0, 0.25 / 0.75}, within(1e-6));
    // p=0.5 is reached by the first token alone
    assertThat(distribution(LOGITS, 1.0, 0, 0.5)).containsExactly(new double[] {0, 1, 0, 0}, within(1e-6));
  }

  @Test
  void temperatureSharpens() {
    double[] p = distribution(LOGITS, 0.5, 0, 1.0);
    double z = 0.01 + 0.25 + 0.0225 + 0.0625;   // squares of the probabilities
    assertThat(p).containsExactly(new double[] {0.01 / z, 0.25 / z, 0.0225 / z, 0.0625 / z}, within(1e-6));
  }

  @Test
  void drawsFollowTheDistribution() {
    int n = 200_000;
    SplittableRandom rng = new SplittableRandom(1);
    float[] rows = new float[n * 4];
    double[] u = new double[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(LOGITS, 0, rows, i * 4, 4);
      u[i] = rng.nextDouble();
    }
    int[] counts = new int[4];
    try (NDManager m = Torch.newManager()) {
      long[] drawn = Sampler.draw(m.create(rows, new Shape(n, 4)), m.create(u, new Shape(n, 1))).toLongArray();
      for (long d : drawn) {
        counts[(int) d]++;
      }
    }
    double[] expected = {0.1, 0.5, 0.15, 0.25};
    for (int i = 0; i < 4; i++) {
      assertThat(counts[i] / (double) n).isCloseTo(expected[i], within(0.005));
    }
  }

  @Test
  void drawsNeverPickARemovedTokenEvenAtTheEdges() {
    // top-k 2 keeps tokens 1 and 3; u = 0 picks the first kept, u just below 1 the last kept
    try (NDManager m = Torch.newManager()) {
      NDArray scores = LogitsProcessors.apply(m.create(new float[][] {LOGITS, LOGITS, LOGITS}), null,
          GenerationConfig.sampling(1, 1.0, 2, 1.0, 0));
      double[] u = {0, Math.nextDown(1.0), 0.6};
      long[] drawn = Sampler.draw(scores, m.create(u, new Shape(3, 1))).toLongArray();
      // cumulative in vocabulary order: token 1 holds 2/3, token 3 the rest
      assertThat(drawn).containsExactly(1, 3, 1);
    }
  }

  @Test
  void greedyTakesFirstMaximum() {
    assertThat(Sampler.greedy(new float[] {1, 3, 3, 2})).isEqualTo(1);
    try (NDManager m = Torch.newManager()) {
      assertThat(Sampler.greedy(m.create(new float[][] {{1, 3, 3, 2}, {5, 0, 5, 5}})).toLongArray())
          .containsExactly(1, 0);
    }
  }
}
