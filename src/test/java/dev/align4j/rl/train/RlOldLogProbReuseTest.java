package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.advantage.AdvantageEstimator;
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
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rollout's policy forward is skipped exactly when the update's detached log-probs equal it (one
 * optimizer step per rollout, no KL penalty in the reward, the policy training), as TRL's GRPO with
 * {@code num_iterations=1}: then losses, every step and rollout metric and the adapter weights equal
 * those of the forced separate forward (float64; they differ only by the two forwards' batch layouts),
 * the ratio is exactly 1; with several minibatches or epochs, a KL term in the reward or during PPO's
 * critic warm-up the rollout still runs its policy forward and nothing changes.
 */
class RlOldLogProbReuseTest {
  enum Algo { GRPO, RLOO, REINFORCE_PP, PPO }

  record Run(List<double[]> weights, List<StepMetrics> steps, List<Map<String, Double>> rollouts, int policyForwards) {}

  /**
   * Three optimizer steps on rollouts of 8 rows, each step in micro-batches of 4 (accumulated).
   *
   * @param kl RLOO's beta, PPO's fixed kl_coef (GRPO: its loss's beta, which never needs them)
   */
  static Run run(Algo which, int epochs, int miniBatches, double kl, int warmup, boolean separate) {
    return run(which, epochs, miniBatches, kl, warmup, separate, Precision.FLOAT64);
  }

  static Run run(Algo which, int epochs, int miniBatches, double kl, int warmup, boolean separate, Precision precision) {
    return run(which, epochs, miniBatches, kl, warmup, separate, precision, false);
  }

  /** @param checkpointing the update under activation checkpointing ({@code gradient_checkpointing}) */
  static Run run(Algo which, int epochs, int miniBatches, double kl, int warmup, boolean separate, Precision precision,
      boolean checkpointing) {
    boolean critic = which == Algo.PPO;
    try (TinyPolicy tp = critic ? new TinyPolicy(precision, "policy", "value") : new TinyPolicy(precision, "policy")) {
      if (critic) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
      } else {
        tp.peft.setTrainable("policy");
      }
      PolicyRoles roles = new PolicyRoles(tp.peft, "policy", null, critic ? "value" : null);
      Algorithm alg = switch (which) {
        case GRPO -> new Algorithm.Grpo(4, ScaleRewards.GROUP,
            new GrpoLossConfig(LossAggregation.DAPO, 0.2, 0.28, null, 0.04, true, ImportanceSamplingLevel.TOKEN, 6));
        case RLOO -> new Algorithm.Rloo(4, kl, null, false, 0.2, 0.2);
        case REINFORCE_PP -> new Algorithm.Ppo(AdvantageEstimator.REINFORCE, 1, 1.0, 1.0, KlEstimator.K2, null,
            PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT, 0.0, 0);
        case PPO -> new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT,
            0.5, warmup);
      };
      tp.peft.state().setTraining(true);
      List<Parameter> params = tp.peft.trainableParameters();
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(alg.numGenerations(), 6, 1.0, 0, 1.0, 8,
          new long[] {60}, 0), RlLoopResumeTest.LOW_TOKENS, null);
      int[] policyForwards = {0};
      sampler.onPhase(p -> policyForwards[0] += p.equals("policy") ? 1 : 0);
      RlObjective obj = new RlObjective(roles, alg, 1.0, 0);
      obj.setActivationCheckpointing(checkpointing);
      RlLoopConfig cfg = new RlLoopConfig(8 / alg.numGenerations(), epochs, miniBatches, 4, new FixedKlController(kl),
          0.0, Double.NaN, 0, 7);
      Trainer trainer = new Trainer(tp.model, params, TrainerConfig.of(3, 4, 1), s -> 5e-3, null);
      RlLoop.Result res = new RlLoop(trainer, obj, sampler, alg, cfg, null).separateOldLogProbForward(separate)
          .run(TinyPolicy.prompts(10, 3));
      List<double[]> w = new ArrayList<>();
      for (Parameter p : params) {
        w.add(p.data().toType(DataType.FLOAT64, false).toDoubleArray());
      }
      return new Run(w, res.steps(), res.rollouts(), policyForwards[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Same steps, metrics and weights within {@code tol} (0: bit for bit). */
  static void same(Run a, Run b, double tol, String what) {
    assertThat(a.steps()).as(what).hasSameSizeAs(b.steps());
    for (int i = 0; i < b.steps().size(); i++) {
      StepMetrics x = a.steps().get(i);
      StepMetrics y = b.steps().get(i);
      assertThat(x.loss()).as(what + " loss " + i).isCloseTo(y.loss(), within(tol));
      assertThat(x.gradNorm()).as(what + " grad norm " + i).isCloseTo(y.gradNorm(), within(tol));
      assertThat(x.count()).as(what + " count " + i).isEqualTo(y.count());
      closeMaps(x.metrics(), y.metrics(), tol, what + " step " + i);
    }
    assertThat(a.rollouts()).as(what).hasSameSizeAs(b.rollouts());
    for (int i = 0; i < b.rollouts().size(); i++) {
      closeMaps(a.rollouts().get(i), b.rollouts().get(i), tol, what + " rollout " + i);
    }
    for (int k = 0; k < b.weights().size(); k++) {
      double[] x = a.weights().get(k);
      double[] y = b.weights().get(k);
      for (int j = 0; j < y.length; j++) {
        assertThat(x[j]).as(what + " parameter " + k + "[" + j + "]").isCloseTo(y[j], within(tol));
      }
    }
  }

  private static void closeMaps(Map<String, Double> a, Map<String, Double> b, double tol, String what) {
    assertThat(a.keySet()).as(what).containsExactlyElementsOf(b.keySet());
    b.forEach((k, v) -> {
      assertThat(a.get(k)).as(what + " " + k).isNotNaN();
      assertThat(a.get(k)).as(what + " " + k).isCloseTo(v, within(tol));
    });
  }

  /** The skip is taken on every rollout and changes nothing beyond float64 rounding. */
  static void reusesAndMatches(Algo which, double kl) {
    Run reused = run(which, 1, 1, kl, 0, false);
    Run separate = run(which, 1, 1, kl, 0, true);
    assertThat(separate.policyForwards()).as(which + ": one policy forward per rollout when forced").isEqualTo(3);
    assertThat(reused.policyForwards()).as(which + ": skipped").isZero();
    same(reused, separate, 1e-11, which.name());
    for (StepMetrics m : reused.steps()) {
      // the old log-probs are the update's own: ratio exactly 1
      assertThat(m.metrics().get("val/ratio")).isEqualTo(1.0);
      assertThat(m.metrics().get("policy/approxkl")).isZero();
    }
    // training moved the policy, so the later rollouts' skip is not the trivial one of an unchanged model
    assertThat(reused.rollouts().get(2).get("objective/kl")).isNotEqualTo(reused.rollouts().get(0).get("objective/kl"));
  }

  @Test
  void grpoSkipsThePolicyForwardWithTheSameResults() {
    reusesAndMatches(Algo.GRPO, 0);
  }

  @Test
  void rlooWithoutKlInTheRewardSkipsItWithTheSameResults() {
    reusesAndMatches(Algo.RLOO, 0);
  }

  @Test
  void reinforcePlusPlusWithKlCoefZeroSkipsItWithTheSameResults() {
    reusesAndMatches(Algo.REINFORCE_PP, 0);
  }

  @Test
  void ppoWithCriticAndKlCoefZeroSkipsItWithTheSameResults() {
    reusesAndMatches(Algo.PPO, 0);
  }

  @Test
  void noSkipWhenThePolicyChangesWithinARolloutOrTheRewardNeedsTheKl() {
    record Case(String what, Algo algo, int epochs, int miniBatches, double kl, int warmup, int forwards) {}
    for (Case c : List.of(
        new Case("GRPO, two minibatches", Algo.GRPO, 1, 2, 0, 0, 2),
        new Case("GRPO, two epochs", Algo.GRPO, 2, 1, 0, 0, 2),
        new Case("RLOO, KL in the reward", Algo.RLOO, 1, 1, 0.05, 0, 3),
        new Case("REINFORCE++, KL in the reward", Algo.REINFORCE_PP, 1, 1, 0.05, 0, 3),
        new Case("PPO, two minibatches", Algo.PPO, 1, 2, 0, 0, 2))) {
      Run auto = run(c.algo(), c.epochs(), c.miniBatches(), c.kl(), c.warmup(), false);
      Run separate = run(c.algo(), c.epochs(), c.miniBatches(), c.kl(), c.warmup(), true);
      assertThat(auto.policyForwards()).as(c.what()).isEqualTo(c.forwards());
      same(auto, separate, 0, c.what());
    }
  }

  @Test
  void ppoCriticWarmUpRolloutKeepsItsPolicyForward() {
    // the warm-up rollout trains only the critic, so its policy log-probs come from the rollout; the two
    // after it skip. (float32: a float64 run whose first step leaves the policy without a gradient trips
    // the fused AdamW on a float32 placeholder gradient, an engine matter outside this test)
    Run auto = run(Algo.PPO, 1, 1, 0, 1, false, Precision.FLOAT32);
    assertThat(auto.policyForwards()).isEqualTo(1);
    assertThat(auto.steps()).hasSize(3);
    assertThat(auto.steps().get(0).metrics()).doesNotContainKey("loss/policy");
    assertThat(auto.steps().get(2).metrics().get("val/ratio")).isEqualTo(1.0);
    assertThat(auto.rollouts().get(2).get("objective/kl")).isNotNaN();
  }
}
