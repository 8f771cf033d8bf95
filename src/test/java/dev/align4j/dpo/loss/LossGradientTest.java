package dev.align4j.dpo.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * d loss / d policy log-probs by autograd against central finite differences, in float64, for every
 * DPO loss type and for KTO, ORPO and CPO: the losses' own gradients, independent of TRL.
 */
class LossGradientTest {
  private static final int B = 5;
  private static final double H = 1e-6;

  private static double[] random(Random r, double mean, double sd) {
    double[] v = new double[B];
    for (int i = 0; i < B; i++) {
      v[i] = mean + sd * r.nextGaussian();
    }
    return v;
  }

  /** Checks autograd against finite differences for {@code loss(chosen, rejected)}. */
  private static void check(String what, double[] c, double[] r, BiFunction<NDArray, NDArray, NDArray> loss) {
    try (NDManager m = Torch.newManager()) {
      NDArray ca = m.create(c);
      NDArray ra = m.create(r);
      ca.setRequiresGradient(true);
      ra.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(loss.apply(ca, ra));
      }
      // an input the loss ignores (rejected under sft) keeps DJL's untouched float32 gradient buffer
      double[] gc = ca.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
      double[] gr = ra.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
      double maxG = 0;
      double maxDiff = 0;
      for (int i = 0; i < B; i++) {
        double fdC = (eval(m, plus(c, i, H), r, loss) - eval(m, plus(c, i, -H), r, loss)) / (2 * H);
        double fdR = (eval(m, c, plus(r, i, H), loss) - eval(m, c, plus(r, i, -H), loss)) / (2 * H);
        maxDiff = Math.max(maxDiff, Math.max(Math.abs(fdC - gc[i]), Math.abs(fdR - gr[i])));
        maxG = Math.max(maxG, Math.max(Math.abs(gc[i]), Math.abs(gr[i])));
      }
      assertThat(maxG).as("%s: gradient is not all zero", what).isGreaterThan(1e-6);
      assertThat(maxDiff).as("%s: autograd vs finite differences (max |g| %s)", what, maxG)
          .isLessThanOrEqualTo(1e-7 * Math.max(1, maxG));
    }
  }

  private static double eval(NDManager m, double[] c, double[] r, BiFunction<NDArray, NDArray, NDArray> loss) {
    try (NDManager s = m.newSubManager()) {
      return loss.apply(s.create(c), s.create(r)).getDouble();
    }
  }

  private static double[] plus(double[] v, int i, double h) {
    double[] w = v.clone();
    w[i] += h;
    return w;
  }

  @ParameterizedTest
  @EnumSource(DpoLossType.class)
  void dpoLossTypes(DpoLossType t) {
    Random rnd = new Random(7 + t.ordinal());
    double[] c = random(rnd, -20, 4);
    double[] r = random(rnd, -24, 4);
    double[] refC = random(rnd, -21, 4);
    double[] refR = random(rnd, -22, 4);
    double eps = t == DpoLossType.EXO_PAIR || t == DpoLossType.ROBUST || t == DpoLossType.CDPO
        || t == DpoLossType.AOT ? 0.1 : 0.0;
    DpoLossConfig cfg = DpoLossConfig.DEFAULTS.withLabelSmoothing(eps).withLossTypes(List.of(t), null).withBeta(0.3);
    check(t.id(), c, r, (pc, pr) -> {
      NDManager m = pc.getManager();
      PreferenceLogps in = PreferenceLogps.of(pc, pr, m.create(refC), m.create(refR))
          .withLengths(m.create(new double[] {3, 5, 8, 2, 6}), m.create(new double[] {4, 1, 9, 7, 2}))
          // the sft term is a function of token log-probs; here a stand-in scalar of the chosen log-probs
          .withSftNll(pc.mean().neg().div(m.create(10.0)));
      return DpoLoss.compute(cfg, in).loss();
    });
  }

  @ParameterizedTest
  @EnumSource(FDivergence.class)
  void fDivergencesUnderSigmoidAndIpo(FDivergence f) {
    Random rnd = new Random(3);
    double[] c = random(rnd, -1, 1);
    double[] r = random(rnd, -2, 1);
    for (DpoLossType t : List.of(DpoLossType.SIGMOID, DpoLossType.IPO)) {
      DpoLossConfig cfg = DpoLossConfig.of(0.5, t).withFDivergence(f, 0.3);
      check(f.id() + "/" + t.id(), c, r, (pc, pr) -> {
        NDManager m = pc.getManager();
        PreferenceLogps in = PreferenceLogps.of(pc, pr, m.zeros(pc.getShape(), pc.getDataType()).add(m.create(-1.5)),
            m.zeros(pc.getShape(), pc.getDataType()).add(m.create(-1.2)))
            .withLengths(m.create(new double[] {3, 5, 8, 2, 6}), m.create(new double[] {4, 1, 9, 7, 2}));
        return DpoLoss.compute(cfg, in).loss();
      });
    }
  }

  @Test
  void weightedMixAndReferenceFree() {
    Random rnd = new Random(5);
    double[] c = random(rnd, -10, 3);
    double[] r = random(rnd, -12, 3);
    DpoLossConfig cfg = DpoLossConfig.of(0.2, DpoLossType.SIGMOID, DpoLossType.BCO_PAIR)
        .withLossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.BCO_PAIR), List.of(0.7, 0.4)).withReferenceFree(true);
    check("sigmoid+bco_pair reference-free", c, r,
        (pc, pr) -> DpoLoss.compute(cfg, PreferenceLogps.referenceFree(pc, pr)).loss());
  }

  @Test
  void kto() {
    Random rnd = new Random(11);
    double[] c = random(rnd, -10, 3);
    double[] r = random(rnd, -12, 3);
    boolean[] labels = {true, false, true, true, false};
    for (KtoLossType t : KtoLossType.values()) {
      KtoLossConfig cfg = new KtoLossConfig(0.4, t, 1.3, 0.8);
      check("kto " + t, c, r, (pol, ref) -> {
        NDManager m = pol.getManager();
        // the gradient flows through the policy only; 'ref' doubles as the KL policy log-probs (detached)
        KtoLogps in = new KtoLogps(pol, m.create(new double[] {-11, -9, -13, -10, -12}), labels, ref,
            ref.sub(m.create(0.5)));
        return KtoLoss.compute(cfg, in).loss().add(ref.mul(m.create(0.01)).sum());
      });
    }
  }

  @Test
  void orpoAndCpo() {
    Random rnd = new Random(13);
    double[] c = random(rnd, -1.2, 0.4);
    double[] r = random(rnd, -1.8, 0.4);
    for (int i = 0; i < B; i++) {
      c[i] = -Math.abs(c[i]) - 0.01;
      r[i] = -Math.abs(r[i]) - 0.01;
    }
    check("orpo", c, r, (pc, pr) -> OrpoLoss.compute(new OrpoLossConfig(0.5),
        new OrpoLogps(pc, pr, pc.mean().neg())).loss());
    for (CpoLossType t : CpoLossType.values()) {
      for (double alpha : new double[] {0, 0.3}) {
        CpoLossConfig cfg = new CpoLossConfig(1.5, t, t == CpoLossType.HINGE ? 0 : 0.1, 0.6, 0.5, alpha);
        check("cpo " + t + " alpha " + alpha, c, r,
            (pc, pr) -> CpoLoss.compute(cfg, new CpoLogps(pc, pr, pc.mean().neg())).loss());
      }
    }
  }
}
