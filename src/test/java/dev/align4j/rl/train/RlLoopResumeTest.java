package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.AdaptiveKlController;
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
import dev.align4j.rl.rollout.Scorer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Six steps straight equal two steps, a new process-like restart (fresh model, fresh session) that
 * resumes from the checkpoint, and four more: identical adapter weights, value head, losses and KL
 * controller, for GRPO and for PPO with an adaptive KL controller.
 */
class RlLoopResumeTest {
  @TempDir Path tmp;

  /** A learnable rule: the share of completion tokens below 32. */
  static final Scorer LOW_TOKENS = samples -> samples.stream().mapToDouble(s -> {
    long low = java.util.Arrays.stream(s.completionIds()).filter(t -> t < 32).count();
    return (double) low / Math.max(1, s.completionIds().length);
  }).toArray();

  record Run(List<double[]> weights, List<Double> losses, double klCoef, List<String> log) {}

  static Run run(boolean ppo, long maxSteps, Path dir) {
    return run(ppo, false, maxSteps, dir);
  }

  /** {@code reinforcePp}: PPO's loop with OpenRLHF's critic-free REINFORCE++ estimator (no value adapter). */
  static Run run(boolean ppo, boolean reinforcePp, long maxSteps, Path dir) {
    try (TinyPolicy tp = ppo ? new TinyPolicy(Precision.FLOAT32, "policy", "value") : new TinyPolicy(Precision.FLOAT32, "policy")) {
      PolicyRoles roles;
      Algorithm alg;
      if (reinforcePp) {
        tp.peft.setTrainable("policy");
        roles = new PolicyRoles(tp.peft, "policy", null, null);
        alg = new Algorithm.Ppo(dev.align4j.rl.advantage.AdvantageEstimator.REINFORCE, 1, 1.0, 1.0, KlEstimator.K2, null,
            PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT, 0.0, 0);
      } else if (ppo) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
        roles = new PolicyRoles(tp.peft, "policy", null, "value");
        alg = new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT, ValueLoss.Config.DEFAULT,
            0.5, 1);
      } else {
        tp.peft.setTrainable("policy");
        roles = new PolicyRoles(tp.peft, "policy", null, null);
        alg = new Algorithm.Grpo(4, ScaleRewards.GROUP,
            new GrpoLossConfig(LossAggregation.DAPO, 0.2, 0.28, null, 0.04, true, ImportanceSamplingLevel.TOKEN, 6));
      }
      tp.peft.state().setTraining(true);
      List<Parameter> params = tp.peft.trainableParameters();
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(alg.numGenerations(), 6, 1.0, 0, 1.0, 8,
          new long[] {60}, 0), LOW_TOKENS, null);
      RlObjective obj = new RlObjective(roles, alg, 1.0, 0);
      RlLoopConfig cfg = new RlLoopConfig(ppo || reinforcePp ? 6 : 2, 1, 2, 2,
          ppo || reinforcePp ? new AdaptiveKlController(0.05, 0.5, 100) : new FixedKlController(0), 0.0, Double.NaN, 2, 7);
      Trainer trainer = new Trainer(tp.model, params, TrainerConfig.of(maxSteps, 2, 1), s -> 5e-3, dir.resolve("checkpoints"));
      RlLoop.Result res = new RlLoop(trainer, obj, sampler, alg, cfg, dir).run(TinyPolicy.prompts(10, 3));
      List<double[]> w = new ArrayList<>();
      for (Parameter p : params) {
        w.add(p.data().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray());
      }
      List<Double> losses = new ArrayList<>();
      res.steps().forEach(m -> losses.add(m.loss()));
      return new Run(w, losses, res.kl().value(), Files.readAllLines(dir.resolve("metrics.jsonl")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void resumesBitForBit(boolean ppo) {
    resumesBitForBit(ppo, false);
  }

  void resumesBitForBit(boolean ppo, boolean reinforcePp) {
    Run straight = run(ppo, reinforcePp, 6, tmp.resolve("straight"));
    Run half = run(ppo, reinforcePp, 2, tmp.resolve("resumed"));
    Run rest = run(ppo, reinforcePp, 6, tmp.resolve("resumed"));
    assertThat(straight.losses()).hasSize(6);
    assertThat(half.losses()).hasSize(2);
    assertThat(rest.losses()).hasSize(4);
    List<Double> joined = new ArrayList<>(half.losses());
    joined.addAll(rest.losses());
    assertThat(joined).containsExactlyElementsOf(straight.losses());
    for (int i = 0; i < straight.weights().size(); i++) {
      assertThat(rest.weights().get(i)).containsExactly(straight.weights().get(i));
    }
    assertThat(rest.klCoef()).isEqualTo(straight.klCoef());
    // training moved the weights, and the resumed log continues the first half's
    assertThat(half.weights().get(0)).isNotEqualTo(straight.weights().get(0));
    assertThat(rest.log().stream().filter(l -> l.contains("\"loss\"")).count()).isEqualTo(6);
    String row = rest.log().get(rest.log().size() - 1);
    for (String name : List.of("objective/kl", "objective/entropy", "objective/rlhf_reward", "objective/scores",
        "policy/clipfrac", "policy/approxkl", "loss/policy", "val/ratio", "completions/mean_length",
        "completions/eos_rate")) {
      assertThat(row).contains("\"" + name + "\"");
    }
    assertThat(row.contains("\"loss/value\"")).isEqualTo(ppo);
  }

  @Test
  void grpoResumesBitForBit() {
    resumesBitForBit(false);
  }

  @Test
  void reinforcePlusPlusWithoutCriticResumesBitForBit() {
    resumesBitForBit(false, true);
  }

  @Test
  void ppoWithAdaptiveKlResumesBitForBit() {
    resumesBitForBit(true);
  }
}
