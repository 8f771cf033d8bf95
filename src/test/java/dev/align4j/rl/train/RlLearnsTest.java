package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.FixedKlController;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.ImportanceSamplingLevel;
import dev.align4j.rl.loss.LossAggregation;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.RolloutConfig;
import dev.align4j.rl.rollout.RolloutSampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The algorithms learn: on a rule a policy can pick up from its own samples (the share of completion
 * tokens below 32, {@link RlLoopResumeTest#LOW_TOKENS}; about 0.5 for the random tiny policy) the mean
 * sampled score of the last five rollouts is at least 0.1 above that of the first five (measured: GRPO 0.486
 * -> 0.649, PPO 0.500 -> 0.684 over 40 rollouts; the mean of five rollouts varies by about 0.03). The loss tests check each
 * formula against TRL and float64 references; this checks that the whole loop (sampling, log-prob
 * positions, advantages' signs, the update) moves the policy towards higher reward.
 */
class RlLearnsTest {
  @TempDir Path tmp;

  private static double meanScore(List<Map<String, Double>> rollouts, int from, int to) {
    return rollouts.subList(from, to).stream().mapToDouble(m -> m.get("objective/scores")).average().orElseThrow();
  }

  private static List<Map<String, Double>> run(Algorithm alg, boolean critic, Path dir) throws IOException {
    try (TinyPolicy tp = critic ? new TinyPolicy(Precision.FLOAT32, "policy", "value")
        : new TinyPolicy(Precision.FLOAT32, "policy")) {
      PolicyRoles roles;
      if (critic) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
        roles = new PolicyRoles(tp.peft, "policy", null, "value");
      } else {
        tp.peft.setTrainable("policy");
        roles = new PolicyRoles(tp.peft, "policy", null, null);
      }
      tp.peft.state().setTraining(true);
      List<Parameter> params = tp.peft.trainableParameters();
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(alg.numGenerations(), 6, 1.0, 0, 1.0, 16,
          new long[] {60}, 0), RlLoopResumeTest.LOW_TOKENS, null);
      RlObjective obj = new RlObjective(roles, alg, 1.0, 0);
      RlLoopConfig cfg = new RlLoopConfig(critic ? 16 : 4, 1, 1, 16, new FixedKlController(0), 0.0, Double.NaN, 0, 7);
      Trainer trainer = new Trainer(tp.model, params, TrainerConfig.of(40, 2, 1), s -> 2e-2, dir.resolve("checkpoints"));
      return new RlLoop(trainer, obj, sampler, alg, cfg, dir).run(TinyPolicy.prompts(64, 3)).rollouts();
    }
  }

  private static void assertLearns(List<Map<String, Double>> rollouts) {
    int n = rollouts.size();
    double first = meanScore(rollouts, 0, 5);
    double last = meanScore(rollouts, n - 5, n);
    assertThat(n).isGreaterThanOrEqualTo(20);
    assertThat(last).as("mean score of the last five rollouts against the first five (%.3f)", first)
        .isGreaterThan(first + 0.1);
  }

  @Test
  void grpoRaisesTheSampledScore() throws IOException {
    assertLearns(run(new Algorithm.Grpo(4, ScaleRewards.GROUP,
        new GrpoLossConfig(LossAggregation.DAPO, 0.2, 0.28, null, 0.0, true, ImportanceSamplingLevel.TOKEN, 6)), false,
        tmp.resolve("grpo")));
  }

  @Test
  void ppoRaisesTheSampledScore() throws IOException {
    assertLearns(run(new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT,
        0.5, 0), true, tmp.resolve("ppo")));
  }
}
