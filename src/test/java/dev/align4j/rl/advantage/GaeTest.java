package dev.align4j.rl.advantage;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import org.junit.jupiter.api.Test;

/** GAE and reward-to-go against OpenRLHF's own methods (float64) and the closed form of GAE eq. 16. */
class GaeTest {
  @Test
  void gaeAndReturnsMatchOpenRlhf() {
    for (JsonNode c : RlGoldens.cases("gae")) {
      double gamma = c.get("gamma").asDouble();
      double lambda = c.get("lambda").asDouble();
      AdvantagesAndReturns ar = Gae.compute(mat(c.get("values")), mat(c.get("rewards")), mask(c.get("mask")),
          gamma, lambda);
      assertClose("gae advantages", ar.advantages(), mat(c.get("advantages")), 1e-13);
      assertClose("gae returns", ar.returns(), mat(c.get("returns")), 1e-13);
      double[][] rtg = RewardToGo.compute(mat(c.get("rewards")), mask(c.get("mask")), gamma);
      assertClose("reward to go", rtg, mat(c.get("reward_to_go")), 1e-13);
    }
  }

  @Test
  void gaeIsTheDiscountedSumOfTdResiduals() {
    // eq. 16 evaluated directly: A_t = sum_l (gamma lambda)^l delta_{t+l}, V beyond the mask = 0
    double[][] v = {{0.5, -0.2, 1.0, 0.3}};
    double[][] r = {{0.1, 0.0, -0.4, 2.0}};
    boolean[][] m = {{true, true, true, false}};
    double g = 0.9;
    double l = 0.8;
    double[] vm = {0.5, -0.2, 1.0, 0.0};
    double[] rm = {0.1, 0.0, -0.4, 0.0};
    AdvantagesAndReturns ar = Gae.compute(v, r, m, g, l);
    for (int t = 0; t < 4; t++) {
      double a = 0;
      for (int k = t; k < 4; k++) {
        double next = k + 1 < 4 ? vm[k + 1] : 0;
        a += Math.pow(g * l, k - t) * (rm[k] + g * next - vm[k]);
      }
      assertThat(ar.advantages()[0][t]).isCloseTo(a, offset(1e-14));
      assertThat(ar.returns()[0][t]).isCloseTo(a + vm[t], offset(1e-14));
    }
    // lambda = 1: returns are the discounted reward-to-go (values cancel)
    AdvantagesAndReturns mc = Gae.compute(v, r, m, g, 1.0);
    double[][] rtg = RewardToGo.compute(r, m, g);
    assertClose("lambda=1 returns", mc.returns(), rtg, 1e-14);
    assertThatThrownBy(() -> Gae.compute(v, r, m, 1.5, 1)).hasMessageContaining("gamma");
  }
}
