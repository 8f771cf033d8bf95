package dev.align4j.rl.reward;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static dev.align4j.rl.RlGoldens.vec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reward shaping against OpenRLHF's compute_reward; combination, penalties and scaling by hand. */
class RewardTest {
  @Test
  void shapedRewardMatchesOpenRlhfComputeReward() {
    for (JsonNode c : RlGoldens.cases("compute_reward")) {
      JsonNode clip = c.get("clip");
      RewardClip rc = clip.isNull() ? null : new RewardClip(clip.get(0).asDouble(), clip.get(1).asDouble());
      double[][] out = ShapedReward.compute(vec(c.get("r")), c.get("kl_coef").asDouble(), mat(c.get("kl")),
          mask(c.get("mask")), rc);
      assertClose("compute_reward", out, mat(c.get("out")), 1e-14);
    }
  }

  @Test
  void weightedCombinationSkipsNullsAndMarksUnscorable() {
    RewardFunction len = in -> (double) in.completionIds().length;
    RewardFunction onlyIfAnswer = in -> in.extra().containsKey("answer")
        ? (in.completion().equals(in.extra().get("answer")) ? 1.0 : 0.0) : null;
    RewardFunction never = in -> null;
    List<RewardInput> inputs = List.of(
        new RewardInput("p", "42", new int[] {1, 2}, Map.of("answer", "42")),
        new RewardInput("p", "x", new int[] {1, 2, 3}, Map.of()));
    double[][] s = WeightedRewards.scoreAll(List.of(len, onlyIfAnswer), inputs);
    assertThat(s[0]).containsExactly(2.0, 1.0);
    assertThat(s[1][1]).isNaN();
    assertThat(WeightedRewards.combine(s, new double[] {0.5, 2.0})).containsExactly(0.5 * 2 + 2.0, 0.5 * 3);
    double[][] none = WeightedRewards.scoreAll(List.of(never), inputs);
    double[] combined = WeightedRewards.combine(none, new double[] {1});
    assertThat(combined[0]).isNaN();
    assertThat(combined[1]).isNaN();
    assertThatThrownBy(() -> WeightedRewards.combine(s, new double[] {1})).hasMessageContaining("weights");
  }

  @Test
  void eosPenaltyClipAndNormalisation() {
    assertThat(MissingEosPenalty.apply(new double[] {1, 2, 3}, new boolean[] {true, false, true}, 1.5))
        .containsExactly(1, 0.5, 3);
    assertThat(new RewardClip(-1, 2).apply(new double[] {-3, 0.5, 7})).containsExactly(-1, 0.5, 2);
    assertThat(new RewardNormalization(2, 4).apply(new double[] {6, 0})).containsExactly(1, -0.5);
    assertThatThrownBy(() -> new RewardNormalization(0, 0)).hasMessageContaining("std");
    assertThatThrownBy(() -> new RewardClip(2, 1)).hasMessageContaining("low <= high");
  }
}
