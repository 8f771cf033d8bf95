package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.types.DataType;
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
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code gradient_accumulation_steps} in the RL loop: each optimizer step takes that many micro-batches
 * of {@code per_device_train_batch_size} rows, and the losses are normalised over the whole step (the
 * engine's count is the loss's units), so 1 x 4, 2 x 2 and 4 x 1 rows per step give the same updates
 * to float64 rounding, for GRPO (token-sum DAPO and per-sequence GRPO aggregations) and PPO with a
 * critic. A rollout of 8 rows is two steps of 4 rows either way; before accumulation was honoured, 4 x
 * 1 was one step of all 8.
 */
class RlGradientAccumulationTest {
  record Run(List<double[]> weights, List<Double> losses, List<Long> counts) {}

  /** One rollout of 8 rows, trained in steps of {@code micro x accum} rows (accum 1: two mini-batches). */
  static Run run(String algorithm, int micro, int accum) {
    boolean ppo = algorithm.equals("ppo");
    try (TinyPolicy tp = ppo ? new TinyPolicy(Precision.FLOAT64, "policy", "value")
        : new TinyPolicy(Precision.FLOAT64, "policy")) {
      PolicyRoles roles;
      Algorithm alg;
      if (ppo) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
        roles = new PolicyRoles(tp.peft, "policy", null, "value");
        alg = new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT,
            0.5, 0);
      } else {
        tp.peft.setTrainable("policy");
        roles = new PolicyRoles(tp.peft, "policy", null, null);
        LossAggregation agg = algorithm.equals("grpo-dapo") ? LossAggregation.DAPO : LossAggregation.GRPO;
        alg = new Algorithm.Grpo(4, ScaleRewards.GROUP,
            new GrpoLossConfig(agg, 0.2, 0.28, null, 0.04, true, ImportanceSamplingLevel.TOKEN, 6));
      }
      tp.peft.state().setTraining(true);
      List<Parameter> params = tp.peft.trainableParameters();
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(alg.numGenerations(), 6, 1.0, 0, 1.0, 8,
          new long[] {60}, 0), RlLoopResumeTest.LOW_TOKENS, null);
      RlObjective obj = new RlObjective(roles, alg, 1.0, 0);
      int prompts = 8 / alg.numGenerations();
      RlLoopConfig cfg = new RlLoopConfig(prompts, 1, accum == 1 ? 2 : 1, micro,
          new FixedKlController(ppo ? 0.05 : 0), 0.0, Double.NaN, 0, 7, accum);
      Trainer trainer = new Trainer(tp.model, params, TrainerConfig.of(2, micro, accum), s -> 5e-3, null);
      RlLoop.Result res = new RlLoop(trainer, obj, sampler, alg, cfg, null).run(TinyPolicy.prompts(10, 3));
      List<double[]> w = new ArrayList<>();
      for (Parameter p : params) {
        w.add(p.data().toType(DataType.FLOAT64, false).toDoubleArray());
      }
      List<Double> losses = new ArrayList<>();
      List<Long> counts = new ArrayList<>();
      res.steps().forEach(m -> {
        losses.add(m.loss());
        counts.add(m.count());
      });
      return new Run(w, losses, counts);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sameUpdates(String algorithm) {
    Run whole = run(algorithm, 4, 1);
    assertThat(whole.losses()).hasSize(2);
    for (int[] split : new int[][] {{2, 2}, {1, 4}}) {
      Run acc = run(algorithm, split[0], split[1]);
      String what = algorithm + " " + split[0] + " x " + split[1];
      assertThat(acc.losses()).as(what + ": two steps of four rows").hasSize(2);
      assertThat(acc.counts()).as(what).isEqualTo(whole.counts());
      for (int i = 0; i < 2; i++) {
        assertThat(acc.losses().get(i)).as(what + " loss " + i).isCloseTo(whole.losses().get(i), within(1e-12));
      }
      for (int k = 0; k < whole.weights().size(); k++) {
        double[] a = acc.weights().get(k);
        double[] b = whole.weights().get(k);
        for (int j = 0; j < b.length; j++) {
          assertThat(a[j]).as(what + " parameter " + k + "[" + j + "]").isCloseTo(b[j], within(1e-10));
        }
      }
    }
  }

  @Test
  void grpoDapoAccumulatesExactly() {
    sameUpdates("grpo-dapo");
  }

  @Test
  void grpoPerSequenceMeanAccumulatesExactly() {
    sameUpdates("grpo");
  }

  @Test
  void ppoWithCriticAccumulatesExactly() {
    sameUpdates("ppo");
  }

  @Test
  void stepsFollowTheAccumulation() {
    RlLoopConfig c = new RlLoopConfig(4, 1, 1, 2, new FixedKlController(0), 0, Double.NaN, 0, 1, 3);
    assertThat(c.rowsPerStep(16)).isEqualTo(6);
    assertThat(c.stepsPerPass(16)).isEqualTo(3);
    RlLoopConfig legacy = new RlLoopConfig(4, 1, 2, 2, new FixedKlController(0), 0, Double.NaN, 0, 1);
    assertThat(legacy.rowsPerStep(16)).isEqualTo(8);
    assertThat(legacy.stepsPerPass(16)).isEqualTo(2);
  }
}
