package dev.align4j.rl.advantage;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static dev.align4j.rl.RlGoldens.vec;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import dev.align4j.rl.reward.RewardClip;
import org.junit.jupiter.api.Test;

/**
 * The whole advantage pipeline against OpenRLHF's compute_advantages_and_returns for gae (with and
 * without std norm), reinforce (REINFORCE++), rloo, reinforce_baseline, group_norm and dr_grpo.
 */
class OpenRlhfAdvantagesTest {
  @Test
  void everyEstimatorMatchesOpenRlhf() {
    for (JsonNode c : RlGoldens.cases("advantages_and_returns")) {
      AdvantageEstimator e = AdvantageEstimator.parse(c.get("estimator").asText());
      JsonNode clip = c.get("clip");
      RewardClip rc = clip.isNull() ? null : new RewardClip(clip.get(0).asDouble(), clip.get(1).asDouble());
      OpenRlhfAdvantages.Options o = new OpenRlhfAdvantages.Options(e, c.get("n_samples_per_prompt").asInt(),
          c.get("gamma").asDouble(), c.get("lambda").asDouble(), rc, !c.get("no_std_norm").asBoolean());
      AdvantagesAndReturns ar = OpenRlhfAdvantages.compute(o, vec(c.get("rewards")), mat(c.get("kl")),
          c.get("kl_coef").asDouble(), mat(c.get("values")), mask(c.get("mask")));
      String what = e + (c.get("no_std_norm").asBoolean() ? " no_std_norm" : "");
      // OpenRLHF computes the whitening mean and std in float32 (all_advantages.float()); the rest is float64
      assertClose(what + " advantages", ar.advantages(), mat(c.get("advantages")), e.whitened() ? 1e-6 : 1e-12);
      assertClose(what + " returns", ar.returns(), mat(c.get("returns")), 1e-12);
    }
  }

  @Test
  void groupedEstimatorsNeedTwoSamples() {
    assertThatThrownBy(() -> new OpenRlhfAdvantages.Options(AdvantageEstimator.RLOO, 1, 1, 1, null, true))
        .hasMessageContaining("samples_per_prompt >= 2");
    assertThatThrownBy(() -> AdvantageEstimator.parse("ppo")).hasMessageContaining("gae");
  }
}
