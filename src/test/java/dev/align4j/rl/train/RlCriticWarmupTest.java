package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.kl.FixedKlController;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.RolloutConfig;
import dev.align4j.rl.rollout.RolloutSampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO's critic warm-up trains only the value adapter and head: the policy adapter gets no gradient, so
 * AdamW must leave it bit for bit as it was (torch skips a parameter whose grad is None), with weight
 * decay on, in float32 and float64 (whose fused AdamW once crashed on the missing gradient). Its step
 * count in the checkpoint stays 0 through the warm-up; after it, the policy trains.
 */
class RlCriticWarmupTest {
  @TempDir Path tmp;

  record Run(List<double[]> policy, List<double[]> value, Path checkpoint, String policyName, String valueName) {}

  static Run run(Precision precision, long maxSteps, Path dir) throws IOException {
    try (TinyPolicy tp = new TinyPolicy(precision, "policy", "value")) {
      tp.peft.addScoreHead("value", 1, 3);
      tp.peft.setTrainable("policy", "value");
      PolicyRoles roles = new PolicyRoles(tp.peft, "policy", null, "value");
      // two warm-up rollouts of two optimizer steps each
      Algorithm alg = new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT,
          ValueLoss.Config.DEFAULT, 0.5, 2);
      tp.peft.state().setTraining(true);
      List<Parameter> params = tp.peft.trainableParameters();
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(1, 6, 1.0, 0, 1.0, 8, new long[] {60}, 0),
          RlLoopResumeTest.LOW_TOKENS, null);
      RlObjective obj = new RlObjective(roles, alg, 1.0, 0);
      RlLoopConfig cfg = new RlLoopConfig(4, 1, 2, 2, new FixedKlController(0.05), 0.0, Double.NaN, 0, 7);
      // weight decay 0.1: a policy matrix stepped without a gradient would shrink
      TrainerConfig tc = new TrainerConfig(maxSteps, 2, 1, 1.0, 0.9, 0.999, 1e-8, 0.1, 0, 2, 42, 0, false);
      Trainer trainer = new Trainer(tp.model, params, tc, s -> 5e-3, dir.resolve("checkpoints"));
      new RlLoop(trainer, obj, sampler, alg, cfg, dir).run(TinyPolicy.prompts(10, 3));
      List<Parameter> policy = tp.peft.parametersOf("policy");
      List<Parameter> value = new ArrayList<>(tp.peft.parametersOf("value"));
      value.add(tp.peft.scoreHead("value").weight());
      return new Run(values(policy), values(value), dir.resolve("checkpoints").resolve("checkpoint-" + maxSteps),
          policy.get(0).name(), value.get(0).name());
    }
  }

  /** The starting weights (no training). */
  static List<double[]> initial(Precision precision, boolean policy) {
    try (TinyPolicy tp = new TinyPolicy(precision, "policy", "value")) {
      tp.peft.addScoreHead("value", 1, 3);
      List<Parameter> ps = new ArrayList<>(tp.peft.parametersOf(policy ? "policy" : "value"));
      if (!policy) {
        ps.add(tp.peft.scoreHead("value").weight());
      }
      return values(ps);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
  void warmupLeavesThePolicyAdapterBitIdentical(Precision precision) throws IOException {
    List<double[]> policy0 = initial(precision, true);
    List<double[]> value0 = initial(precision, false);
    Run warm = run(precision, 4, tmp.resolve("warm"));      // the two warm-up rollouts, 4 steps
    for (int i = 0; i < policy0.size(); i++) {
      assertThat(warm.policy().get(i)).as("policy tensor %d", i).containsExactly(policy0.get(i));
    }
    assertThat(warm.value().get(0)).isNotEqualTo(value0.get(0));
    assertThat(warm.value().get(warm.value().size() - 1)).as("value head").isNotEqualTo(value0.get(value0.size() - 1));
    try (SafetensorsFile o = SafetensorsFile.open(warm.checkpoint().resolve("optimizer.safetensors"))) {
      assertThat(o.toFloatArray(warm.policyName() + ".step")[0]).isEqualTo(0f);
      assertThat(o.toFloatArray(warm.valueName() + ".step")[0]).isEqualTo(4f);
    }
    Run after = run(precision, 6, tmp.resolve("after"));    // one rollout past the warm-up
    assertThat(after.policy().get(0)).isNotEqualTo(policy0.get(0));
    try (SafetensorsFile o = SafetensorsFile.open(after.checkpoint().resolve("optimizer.safetensors"))) {
      assertThat(o.toFloatArray(after.policyName() + ".step")[0]).isEqualTo(2f);
      assertThat(o.toFloatArray(after.valueName() + ".step")[0]).isEqualTo(6f);
    }
  }

  private static List<double[]> values(List<Parameter> ps) {
    List<double[]> out = new ArrayList<>();
    for (Parameter p : ps) {
      out.add(p.data().toType(DataType.FLOAT64, false).toDoubleArray());
    }
    return out;
  }
}
