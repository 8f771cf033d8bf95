package dev.align4j.rl.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.Gradients;
import dev.align4j.peft.train.Objective;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.GrpoLoss;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.GrpoLossInput;
import dev.align4j.rl.loss.ImportanceSamplingLevel;
import dev.align4j.rl.loss.LossAggregation;
import dev.align4j.rl.loss.PolicyLoss;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.PolicyLossInput;
import dev.align4j.rl.loss.RlooLoss;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.rollout.PolicyRoles;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The loss the engine backpropagates has the value of rl-core's host loss on the log-probs (and
 * values) of a separate forward (RolloutSamplerTest ties those to row-alone forwards), and its parameter gradients equal central finite
 * differences of that host loss (float64), for GRPO (k3 KL, several aggregations), RLOO and PPO
 * (policy + value adapters, critic warm-up).
 */
class RlObjectiveTest {
  static final double T = 0.8;

  static List<Experience> experiences(int n, boolean perToken, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Experience> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] p = new long[2 + r.nextInt(4)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 + r.nextInt(59);
      }
      long[] c = new long[1 + r.nextInt(5)];
      double[] old = new double[c.length];
      double[] ref = new double[c.length];
      double[] adv = new double[c.length];
      double[] ret = new double[c.length];
      double[] val = new double[c.length];
      for (int j = 0; j < c.length; j++) {
        c[j] = 1 + r.nextInt(62);
        old[j] = -4.2 + 0.3 * r.nextDouble();      // near log(1/64): ratios around 1, some clipped
        ref[j] = -4.2 + 0.5 * r.nextDouble();
        adv[j] = r.nextDouble() * 2 - 1;
        ret[j] = r.nextDouble() * 2 - 1;
        val[j] = r.nextDouble() * 0.6 - 0.3;
      }
      out.add(perToken ? new Experience(p, c, old, ref, Double.NaN, adv, ret, val)
          : new Experience(p, c, old, ref, r.nextDouble() * 2 - 1, null, null, null));
    }
    return out;
  }

  /** Per-token log-probs (or values) of the rows, from one padded forward: [B][len]. */
  static double[][] forward(TinyPolicy tp, List<Experience> rows, boolean values) {
    List<long[]> ps = new ArrayList<>();
    List<long[]> cs = new ArrayList<>();
    rows.forEach(e -> {
      ps.add(e.prompt());
      cs.add(e.completion());
    });
    try (NDManager s = tp.model.manager().newSubManager()) {
      var seq = dev.align4j.rl.rollout.PolicySequences.of(s, ps, cs, 0);
      NDArray h = tp.model.hiddenStates(seq.input(), null);
      NDArray x = values ? seq.completionValues(tp.peft.scoreHead("value"), h)
          : seq.tokenLogProbs(seq.completionLogits(tp.model, h, T));
      double[] flat = x.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
      int t = seq.width();
      double[][] out = new double[rows.size()][];
      for (int i = 0; i < rows.size(); i++) {
        out[i] = java.util.Arrays.copyOfRange(flat, i * t, i * t + rows.get(i).length());
      }
      return out;
    }
  }

  static double[][] pad(double[][] x, int t) {
    double[][] out = new double[x.length][t];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, out[i], 0, x[i].length);
    }
    return out;
  }

  static double[][] padField(List<Experience> rows, int t, java.util.function.Function<Experience, double[]> f) {
    double[][] x = new double[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      x[i] = f.apply(rows.get(i));
    }
    return pad(x, t);
  }

  static boolean[][] mask(List<Experience> rows, int t) {
    boolean[][] m = new boolean[rows.size()][t];
    for (int i = 0; i < rows.size(); i++) {
      for (int j = 0; j < rows.get(i).length(); j++) {
        m[i][j] = true;
      }
    }
    return m;
  }

  static int width(List<Experience> rows) {
    return rows.stream().mapToInt(Experience::length).max().orElse(1);
  }

  /**
   * Checks value and gradient: {@code hostSum} is the host loss's sum given the model as it is now;
   * the objective's loss/units must equal it/units, and d(loss)/d(theta_k) its finite differences.
   */
  static void check(TinyPolicy tp, RlObjective obj, List<Experience> rows, List<Parameter> params,
      ToDoubleFunction<TinyPolicy> hostSum) {
    double units = obj.count(rows);
    Gradients.zero(params);
    double value;
    try (NDManager s = tp.model.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      RlObjective.Batch b = obj.collate(s, rows);
      Objective.Loss l = obj.loss(tp.model, b);
      value = l.sum().getDouble();
      gc.backward(l.sum());
    }
    assertThat(value / units).isCloseTo(hostSum.applyAsDouble(tp) / units, org.assertj.core.data.Offset.offset(1e-10));
    SplittableRandom r = new SplittableRandom(4);
    int checked = 0;
    // a spread of parameters (each module kind, both adapters, the head), one entry each: keeps it fast
    List<Parameter> some = new ArrayList<>();
    for (int i = 0; i < params.size(); i += Math.max(1, params.size() / 6)) {
      some.add(params.get(i));
    }
    some.add(params.get(params.size() - 1));
    for (Parameter p : some) {
      double[] g = p.data().getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
      for (int k = 0; k < 1; k++) {
        int idx = r.nextInt(g.length);
        double h = 1e-5;
        double plus = perturbed(tp, p, idx, h, hostSum);
        double minus = perturbed(tp, p, idx, -h, hostSum);
        double fd = (plus - minus) / (2 * h);
        assertThat(g[idx]).as(p.name() + "[" + idx + "]").isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6 + 1e-5 * Math.abs(fd)));
        checked += Math.abs(fd) > 1e-6 ? 1 : 0;
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(2);   // not all trivially zero
  }

  private static double perturbed(TinyPolicy tp, Parameter p, int idx, double h, ToDoubleFunction<TinyPolicy> f) {
    NDArray d = p.data();
    double[] one = new double[(int) d.getShape().size()];
    one[idx] = h;
    try (NDManager s = d.getManager().newSubManager()) {
      NDArray delta = s.create(one, d.getShape());
      d.addi(delta);
      double v = f.applyAsDouble(tp);
      d.subi(delta);
      return v;
    }
  }

  @Test
  void grpoWithK3KlMatchesTheHostLossAndItsFiniteDifferences() {
    // SAPO's soft gate and LUSPO's sequence sums too (CISPO's and VESPO's detached weights are, by
    // design, not the derivative of the loss's value: GrpoLossVariantsTest checks those)
    for (LossAggregation agg : new LossAggregation[] {LossAggregation.DAPO, LossAggregation.GRPO, LossAggregation.DR_GRPO,
        LossAggregation.SAPO, LossAggregation.LUSPO}) {
      try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT64, "policy")) {
        tp.peft.setTrainable("policy");
        GrpoLossConfig lc = new GrpoLossConfig(agg, 0.2, 0.28, null, 0.04, true, ImportanceSamplingLevel.TOKEN, 6);
        Algorithm.Grpo alg = new Algorithm.Grpo(2, ScaleRewards.GROUP, lc);
        RlObjective obj = new RlObjective(new PolicyRoles(tp.peft, "policy", null, null), alg, T, 0);
        List<Experience> rows = experiences(4, false, 2);
        int t = width(rows);
        check(tp, obj, rows, tp.peft.trainableParameters(), m -> {
          try (AdapterScope a = m.peft.use("policy")) {
            double[][] lp = pad(forward(m, rows, false), t);
            double[] adv = rows.stream().mapToDouble(Experience::advantage).toArray();
            return GrpoLoss.compute(lc, new GrpoLossInput(lp, padField(rows, t, Experience::oldLogp),
                padField(rows, t, Experience::refLogp), adv, mask(rows, t))).value().sum();
          }
        });
      }
    }
  }

  @Test
  void rlooMatchesTheHostLossAndItsFiniteDifferences() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT64, "policy")) {
      tp.peft.setTrainable("policy");
      Algorithm.Rloo alg = new Algorithm.Rloo(2, 0.05, null, false, 0.2, 0.2);
      RlObjective obj = new RlObjective(new PolicyRoles(tp.peft, "policy", null, null), alg, T, 0);
      List<Experience> rows = experiences(4, false, 3);
      int t = width(rows);
      check(tp, obj, rows, tp.peft.trainableParameters(), m -> {
        try (AdapterScope a = m.peft.use("policy")) {
          double[][] lp = pad(forward(m, rows, false), t);
          double[] oldSeq = rows.stream().mapToDouble(e -> java.util.Arrays.stream(e.oldLogp()).sum()).toArray();
          double[] adv = rows.stream().mapToDouble(Experience::advantage).toArray();
          return RlooLoss.compute(new RlooLoss.Input(lp, oldSeq, adv, mask(rows, t)), 0.2, 0.2).value().sum();
        }
      });
    }
  }

  @Test
  void ppoPolicyAndValueMatchTheHostLossAndItsFiniteDifferences() {
    for (boolean warmup : new boolean[] {false, true}) {
      try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT64, "policy", "value")) {
        tp.peft.addScoreHead("value", 1, 3);
        tp.peft.setTrainable("policy", "value");
        Algorithm.Ppo alg = new Algorithm.Ppo(1.0, 0.95, KlEstimator.K1, null, PolicyLossConfig.DEFAULT,
            ValueLoss.Config.DEFAULT, 0.5, 0);
        RlObjective obj = new RlObjective(new PolicyRoles(tp.peft, "policy", null, "value"), alg, T, 0);
        obj.setPolicyUpdates(!warmup);
        List<Experience> rows = experiences(4, true, 5);
        int t = width(rows);
        boolean[][] mask = mask(rows, t);
        check(tp, obj, rows, tp.peft.trainableParameters(), m -> {
          double pol = 0;
          if (!warmup) {
            try (AdapterScope a = m.peft.use("policy")) {
              pol = PolicyLoss.compute(PolicyLossConfig.DEFAULT, new PolicyLossInput(pad(forward(m, rows, false), t),
                  padField(rows, t, Experience::oldLogp), padField(rows, t, Experience::advantages), mask)).value().sum();
            }
          }
          try (AdapterScope a = m.peft.use("value")) {
            double v = ValueLoss.compute(ValueLoss.Config.DEFAULT, pad(forward(m, rows, true), t),
                padField(rows, t, Experience::oldValues), padField(rows, t, Experience::returns), mask).value().sum();
            return pol + 0.5 * v;
          }
        });
        if (warmup) {
          // the policy adapter gets no gradient while the critic warms up
          for (Parameter p : tp.peft.parametersOf("policy")) {
            assertThat(p.data().getGradient().abs().max().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble()).isZero();
          }
        }
      }
    }
  }
}
