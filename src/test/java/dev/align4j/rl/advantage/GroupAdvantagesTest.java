package dev.align4j.rl.advantage;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static dev.align4j.rl.RlGoldens.vec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import dev.align4j.rl.reward.RewardClip;
import dev.align4j.rl.reward.WeightedRewards;
import org.junit.jupiter.api.Test;

/**
 * GRPO and RLOO advantages against the advantage code of TRL's own GRPOTrainer/RLOOTrainer (cut from
 * the installed source and run unchanged), with skipped (None) scores, an unscorable completion and a
 * zero-std group.
 */
class GroupAdvantagesTest {
  @Test
  void grpoMatchesTrlForEveryScalingAndAggregation() {
    for (JsonNode c : RlGoldens.cases("grpo_advantages")) {
      double[][] perFunction = mat(c.get("rewards_per_func"));
      double[] w = vec(c.get("weights"));
      int g = c.get("num_generations").asInt();
      ScaleRewards scale = ScaleRewards.parse(c.get("scale_rewards").asText());
      String agg = c.get("aggregation").asText();
      GroupAdvantages a = agg.equals("sum_then_normalize")
          ? GrpoAdvantages.compute(WeightedRewards.combine(perFunction, w), g, scale)
          : GrpoAdvantages.normalizeThenSum(perFunction, w, g);
      assertClose(agg + " " + scale, a.advantages(), vec(c.get("advantages")), 1e-12);
      for (int i = 0; i < a.stdIsZero().length; i++) {
        assertThat(a.stdIsZero()[i]).as(agg + " " + scale + " std zero " + i)
            .isEqualTo(c.get("std_is_zero").get(i).asBoolean());
      }
    }
  }

  @Test
  void rlooMatchesTrl() {
    for (JsonNode c : RlGoldens.cases("rloo_advantages")) {
      JsonNode clip = c.get("clip");
      RewardClip rc = clip.isNull() ? null : new RewardClip(clip.get(0).asDouble(), clip.get(1).asDouble());
      RlooAdvantages.Options o = new RlooAdvantages.Options(c.get("num_generations").asInt(),
          c.get("beta").asDouble(), rc, c.get("normalize").asBoolean());
      double[] r = WeightedRewards.combine(mat(c.get("rewards_per_func")), vec(c.get("weights")));
      double[] kl = RlooAdvantages.sequenceKl(mat(c.get("old")), mat(c.get("ref")), mask(c.get("mask")));
      GroupAdvantages a = RlooAdvantages.compute(r, kl, o);
      assertClose("rloo beta=" + o.beta(), a.advantages(), vec(c.get("advantages")), 1e-12);
      for (int i = 0; i < a.stdIsZero().length; i++) {
        // TRL keeps one flag per prompt here
        assertThat(a.stdIsZero()[i]).isEqualTo(c.get("std_is_zero").get(i / o.groupSize()).asBoolean());
      }
    }
  }

  @Test
  void leaveOneOutByHand() {
    // A_i = r_i - mean of the others; a group sums to zero
    GroupAdvantages a = RlooAdvantages.compute(new double[] {1, 2, 3, 6}, null, new RlooAdvantages.Options(4, 0, null, false));
    assertThat(a.advantages()).containsExactly(1 - 11 / 3.0, 2 - 10 / 3.0, 3 - 9 / 3.0, 6 - 6 / 3.0);
    // group mean / Bessel std + 1e-4
    double std = Math.sqrt(((1 - 3) * (1 - 3) + 1 + 0 + 9) / 3.0);
    GroupAdvantages g = GrpoAdvantages.compute(new double[] {1, 2, 3, 6}, 4, ScaleRewards.GROUP);
    assertThat(g.advantages()[0]).isCloseTo((1 - 3) / (std + 1e-4), offset(1e-15));
    assertThatThrownBy(() -> GrpoAdvantages.compute(new double[3], 2, ScaleRewards.NONE)).hasMessageContaining("groups of 2");
  }
}
