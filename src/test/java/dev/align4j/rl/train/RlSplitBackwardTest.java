package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.Gradients;
import dev.align4j.peft.train.Objective;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.ImportanceSamplingLevel;
import dev.align4j.rl.loss.LossAggregation;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.rollout.PolicyRoles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PPO's update back-propagates the policy term before the value forward ({@link
 * RlObjective#lossAndBackward}), so the policy's and the value's saved activations are never alive
 * together: the gradients of every trainable parameter (policy adapter, value adapter, value head), the
 * loss and every metric equal those of the joint backward after both forwards, bit for bit (float64 and
 * float32), over two accumulated micro-batches; without a critic, and in the critic's warm-up, the one
 * backward is the engine's default. With activation checkpointing ({@code gradient_checkpointing}) each
 * forward is recomputed layer by layer in backward: the same loss, metrics and gradients to float64
 * rounding, for PPO (also in warm-up) and GRPO.
 */
class RlSplitBackwardTest {
  record Out(double loss, Map<String, Double> metrics, List<double[]> grads) {}

  /** Gradients of two micro-batches accumulated, divided by their joint count as the engine does. */
  static Out backward(TinyPolicy tp, RlObjective obj, List<List<Experience>> micro, boolean split) {
    return backward(tp, obj, micro, split, false);
  }

  static Out backward(TinyPolicy tp, RlObjective obj, List<List<Experience>> micro, boolean split,
      boolean checkpointing) {
    List<Parameter> params = tp.peft.trainableParameters();
    Gradients.zero(params);
    long count = 0;
    for (List<Experience> mb : micro) {
      count += obj.count(mb);
    }
    obj.setSplitBackward(split);
    obj.setActivationCheckpointing(checkpointing);
    double loss = 0;
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (List<Experience> mb : micro) {
      try (NDManager s = tp.model.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        RlObjective.Batch b = obj.collate(s, mb);
        Objective.Loss l;
        if (split || checkpointing) {
          l = obj.lossAndBackward(tp.model, b, count, gc);
        } else {
          // the joint path: both forwards, then one backward of the whole sum
          l = obj.loss(tp.model, b);
          NDArray sum = l.sum();
          gc.backward(sum.div(Kernels.scalar(sum, count)));
        }
        loss += l.sum().toType(DataType.FLOAT64, false).getDouble();
        l.metrics().forEach((k, v) -> metrics.merge(k, v.toType(DataType.FLOAT64, false).getDouble(), Double::sum));
      }
    }
    List<double[]> grads = new ArrayList<>();
    for (Parameter p : params) {
      try (NDManager s = p.data().getManager().newSubManager()) {
        NDArray g = p.data().getGradient();
        g.attach(s);
        grads.add(g.toType(DataType.FLOAT64, false).toDoubleArray());
      }
    }
    return new Out(loss, metrics, grads);
  }

  static void sameAsJoint(Precision precision, boolean critic, boolean warmup) {
    sameAsJoint(precision, critic, warmup, false);
  }

  /**
   * @param checkpointing compare the checkpointed path instead of the split one (float64, to rounding:
   *     it scales by {@code 1 / count} where the plain path divides)
   */
  static void sameAsJoint(Precision precision, boolean critic, boolean warmup, boolean checkpointing) {
    try (TinyPolicy tp = critic ? new TinyPolicy(precision, "policy", "value") : new TinyPolicy(precision, "policy")) {
      RlObjective obj;
      List<Experience> rows = RlObjectiveTest.experiences(6, critic, 5);
      if (critic) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
        Algorithm.Ppo alg = new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT,
            ValueLoss.Config.DEFAULT, 0.5, 0);
        obj = new RlObjective(new PolicyRoles(tp.peft, "policy", null, "value"), alg, RlObjectiveTest.T, 0);
        obj.setPolicyUpdates(!warmup);
      } else {
        tp.peft.setTrainable("policy");
        Algorithm.Grpo alg = new Algorithm.Grpo(2, ScaleRewards.GROUP,
            new GrpoLossConfig(LossAggregation.DAPO, 0.2, 0.28, null, 0.04, true, ImportanceSamplingLevel.TOKEN, 6));
        obj = new RlObjective(new PolicyRoles(tp.peft, "policy", null, null), alg, RlObjectiveTest.T, 0);
      }
      tp.peft.state().setTraining(true);
      List<List<Experience>> micro = List.of(rows.subList(0, 4), rows.subList(4, 6));
      Out joint = backward(tp, obj, micro, false);
      Out split = backward(tp, obj, micro, !checkpointing, checkpointing);
      String what = precision + (critic ? warmup ? " PPO warm-up" : " PPO" : " GRPO") + (checkpointing ? " checkpointed" : "");
      int nonZero = 0;
      if (checkpointing) {
        assertThat(split.loss()).as(what + " loss").isCloseTo(joint.loss(), within(1e-12));
        assertThat(split.metrics().keySet()).as(what).containsExactlyInAnyOrderElementsOf(joint.metrics().keySet());
        joint.metrics().forEach((k, v) -> assertThat(split.metrics().get(k)).as(what + " " + k).isCloseTo(v, within(1e-12)));
      } else {
        assertThat(split.loss()).as(what + " loss").isEqualTo(joint.loss());
        assertThat(split.metrics()).as(what + " metrics").containsExactlyEntriesOf(joint.metrics());
      }
      for (int k = 0; k < joint.grads().size(); k++) {
        if (checkpointing) {
          double[] a = split.grads().get(k);
          double[] b = joint.grads().get(k);
          for (int j = 0; j < b.length; j++) {
            assertThat(a[j]).as(what + " gradient " + k + "[" + j + "]").isCloseTo(b[j], within(1e-13 + 1e-11 * Math.abs(b[j])));
          }
        } else {
          assertThat(split.grads().get(k)).as(what + " gradient " + k).containsExactly(joint.grads().get(k));
        }
        for (double g : joint.grads().get(k)) {
          nonZero += g != 0 ? 1 : 0;
        }
      }
      assertThat(nonZero).as(what + ": gradients reach the parameters").isGreaterThan(10);
      if (critic && !warmup) {
        // both adapters and the head got their gradient
        assertThat(tp.peft.parametersOf("policy")).isNotEmpty();
        for (String a : List.of("policy", "value")) {
          double sq = 0;
          for (Parameter p : tp.peft.parametersOf(a)) {
            sq += p.data().getGradient().toType(DataType.FLOAT64, false).square().sum().getDouble();
          }
          assertThat(sq).as(what + " " + a + " gradient").isPositive();
        }
      }
    }
  }

  @Test
  void ppoSplitBackwardEqualsTheJointOneInFloat64() {
    sameAsJoint(Precision.FLOAT64, true, false);
  }

  @Test
  void ppoSplitBackwardEqualsTheJointOneInFloat32() {
    sameAsJoint(Precision.FLOAT32, true, false);
  }

  @Test
  void activationCheckpointingGivesTheJointGradients() {
    sameAsJoint(Precision.FLOAT64, true, false, true);
    sameAsJoint(Precision.FLOAT64, true, true, true);
    sameAsJoint(Precision.FLOAT64, false, false, true);
  }

  @Test
  void gradientCheckpointingInTheLoopTrainsAsWithout() {
    // three steps of the RL loop (rollouts of 8 rows, micro-batches of 4): PPO with a critic reusing the
    // update's log-probs, and GRPO with two minibatches per rollout
    for (RlOldLogProbReuseTest.Algo a : List.of(RlOldLogProbReuseTest.Algo.PPO, RlOldLogProbReuseTest.Algo.GRPO)) {
      int mb = a == RlOldLogProbReuseTest.Algo.GRPO ? 2 : 1;
      RlOldLogProbReuseTest.Run plain = RlOldLogProbReuseTest.run(a, 1, mb, 0, 0, false, Precision.FLOAT64, false);
      RlOldLogProbReuseTest.Run ckpt = RlOldLogProbReuseTest.run(a, 1, mb, 0, 0, false, Precision.FLOAT64, true);
      RlOldLogProbReuseTest.same(ckpt, plain, 1e-10, a + " checkpointed");
    }
  }

  @Test
  void warmUpAndCriticFreeObjectivesKeepTheOneBackward() {
    sameAsJoint(Precision.FLOAT64, true, true);
    sameAsJoint(Precision.FLOAT64, false, false);
  }
}
