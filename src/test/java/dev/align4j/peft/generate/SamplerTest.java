package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  // probabilities at temperature 1: ln of 0.5, 0.25, 0.15, 0.1
  private static final float[] LOGITS = {
    (float) Math.log(0.1), (float) Math.log(0.5), (float) Math.log(0.15), (float) Math.log(0.25)
  };

  @Test
  void topKKeepsTheKMostLikelyRenormalised() {
    double[] p = Sampler.distribution(LOGITS, 1.0, 2, 1.0);
    assertThat(p).containsExactly(new double[] {0, 0.5 / 0.75, 0, 0.25 / 0.75}, within(1e-6));
  }

  @Test
  void topPKeepsSmallestPrefixReachingP() {
    // sorted 0.5, 0.25, 0.15, 0.1: p=0.7 needs 0.5+0.25 (0.75 >= 0.7)
    assertThat(Sampler.distribution(LOGITS, 1.0, 0, 0.7))
        .containsExactly(new double[] {0, 0.5 / 0.75, 0, 0.25 / 0.75}, within(1e-6));
    // p=0.5 is reached by the first token alone
    assertThat(Sampler.distribution(LOGITS, 1.0, 0, 0.5)).containsExactly(new double[] {0, 1, 0, 0}, within(1e-6));
  }

  @Test
  void temperatureSharpens() {
    double[] p = Sampler.distribution(LOGITS, 0.5, 0, 1.0);
    double z = 0.01 + 0.25 + 0.0225 + 0.0625;   // squares of the probabilities
    assertThat(p).containsExactly(new double[] {0.01 / z, 0.25 / z, 0.0225 / z, 0.0625 / z}, within(1e-6));
  }

  @Test
  void drawsFollowTheDistribution() {
    GenerationConfig cfg = GenerationConfig.sampling(1, 1.0, 0, 1.0, 0);
    SplittableRandom rng = new SplittableRandom(1);
    int[] counts = new int[4];
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts[Sampler.sample(LOGITS, cfg, rng)]++;
    }
    double[] expected = {0.1, 0.5, 0.15, 0.25};
    for (int i = 0; i < 4; i++) {
      assertThat(counts[i] / (double) n).isCloseTo(expected[i], within(0.005));
    }
  }

  @Test
  void greedyTakesFirstMaximum() {
    assertThat(Sampler.greedy(new float[] {1, 3, 3, 2})).isEqualTo(1);
  }
}
