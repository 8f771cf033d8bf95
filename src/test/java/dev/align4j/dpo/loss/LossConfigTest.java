package dev.align4j.dpo.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Validation as TRL's trainers do it, clear errors for missing inputs, and numerics at the edges. */
class LossConfigTest {

  @Test
  void idsRoundTripAsTrlNamesThem() {
    for (DpoLossType t : DpoLossType.values()) {
      assertThat(DpoLossType.fromId(t.id().toUpperCase())).isEqualTo(t);
    }
    assertThat(DpoLossType.fromId("apo_zero")).isEqualTo(DpoLossType.APO_ZERO);
    assertThat(FDivergence.fromId("js_divergence")).isEqualTo(FDivergence.JS_DIVERGENCE);
    assertThat(KtoLossType.fromId("apo_zero_unpaired")).isEqualTo(KtoLossType.APO_ZERO_UNPAIRED);
    assertThat(CpoLossType.fromId("simpo").averagesLogps()).isTrue();
    assertThatThrownBy(() -> DpoLossType.fromId("dpo")).hasMessageContaining("unknown DPO loss_type 'dpo'")
        .hasMessageContaining("sigmoid_norm");
  }

  @Test
  void rejectsWhatTrlRejects() {
    DpoLossConfig d = DpoLossConfig.DEFAULTS;
    assertThatThrownBy(() -> d.withLossTypes(List.of(DpoLossType.EXO_PAIR), null))
        .hasMessageContaining("exo_pair");
    assertThatThrownBy(() -> d.withFDivergence(FDivergence.FORWARD_KL, 0.5).withLossTypes(
        List.of(DpoLossType.NCA_PAIR), null)).hasMessageContaining("nca_pair");
    assertThatThrownBy(() -> d.withWeighting(true).withLossTypes(List.of(DpoLossType.AOT), null))
        .hasMessageContaining("aot");
    assertThatThrownBy(() -> d.withLossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT), List.of(1.0)))
        .hasMessageContaining("loss_weights has 1 entries but loss_type has 2");
    assertThatThrownBy(() -> d.withLossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SIGMOID), null))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> d.withLabelSmoothing(0.5).withLossTypes(List.of(DpoLossType.ROBUST), null))
        .hasMessageContaining("robust");
    assertThatThrownBy(() -> d.withBeta(0)).hasMessageContaining("beta");
    assertThatThrownBy(() -> d.withLdAlpha(1.5)).hasMessageContaining("ld_alpha");
    assertThatThrownBy(() -> new KtoLossConfig(0.1, KtoLossType.KTO, -1, 1)).hasMessageContaining("desirable_weight");
    assertThatThrownBy(() -> new CpoLossConfig(0.1, CpoLossType.SIMPO, 0.5, 0.5, 0, 0))
        .hasMessageContaining("label_smoothing");
    assertThat(d.withLossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT), null).lossWeights())
        .containsExactly(1.0, 1.0);
  }

  @Test
  void missingInputsNameWhatIsMissing() {
    try (NDManager m = Torch.newManager()) {
      NDArray c = m.create(new double[] {-3, -4});
      NDArray r = m.create(new double[] {-5, -4});
      assertThatThrownBy(() -> DpoLoss.compute(DpoLossConfig.DEFAULTS, PreferenceLogps.referenceFree(c, r)))
          .hasMessageContaining("refChosen").hasMessageContaining("reference_free");
      assertThatThrownBy(() -> DpoLoss.compute(DpoLossConfig.of(0.1, DpoLossType.IPO), PreferenceLogps.of(c, r, c, r)))
          .hasMessageContaining("withLengths");
      assertThatThrownBy(() -> DpoLoss.compute(DpoLossConfig.of(0.1, DpoLossType.SFT), PreferenceLogps.of(c, r, c, r)))
          .hasMessageContaining("withSftNll");
      assertThatThrownBy(() -> DpoLoss.compute(DpoLossConfig.DEFAULTS.withWeighting(true),
          PreferenceLogps.of(c, r, c, r))).hasMessageContaining("wpoWeights");
      assertThatThrownBy(() -> PreferenceLogps.of(c, m.create(new double[] {1, 2, 3}), c, r))
          .hasMessageContaining("rejected has shape");
      assertThatThrownBy(() -> KtoLoss.compute(KtoLossConfig.DEFAULTS,
          new KtoLogps(c, r, new boolean[] {true, false}, null, null))).hasMessageContaining("KL");
    }
  }

  @Test
  void ktoKlCompletionsRotateByOneWithinEachBatchAsTrlDoes() {
    // TRL: examples["KL_completion_ids"] = [c[-1]] + c[:-1] per batch of per_device_train_batch_size
    assertThat(KtoLoss.klCompletionSources(4, 4)).containsExactly(3, 0, 1, 2);
    assertThat(KtoLoss.klCompletionSources(7, 3)).containsExactly(2, 0, 1, 5, 3, 4, 6);
    assertThat(KtoLoss.klCompletionSources(0, 2)).isEmpty();
  }

  @Test
  void referenceFreeIsZeroReference() {
    try (NDManager m = Torch.newManager()) {
      NDArray c = m.create(new double[] {-3, -4, -9});
      NDArray r = m.create(new double[] {-5, -4, -2});
      for (DpoLossType t : List.of(DpoLossType.SIGMOID, DpoLossType.APO_DOWN, DpoLossType.SPPO_HARD)) {
        DpoLossConfig cfg = DpoLossConfig.of(0.2, t);
        double free = DpoLoss.compute(cfg.withReferenceFree(true), PreferenceLogps.referenceFree(c, r)).loss()
            .getDouble();
        double zero = DpoLoss.compute(cfg, PreferenceLogps.of(c, r, c.zerosLike(), r.zerosLike())).loss().getDouble();
        assertThat(free).isEqualTo(zero);
      }
    }
  }

  @Test
  void cdpoWithoutSmoothingIsDpoAndSmoothingIsTheHandFormula() {
    try (NDManager m = Torch.newManager()) {
      NDArray c = m.create(new double[] {-3, -4, -9});
      NDArray r = m.create(new double[] {-5, -4, -2});
      NDArray z = m.zeros(c.getShape(), DataType.FLOAT64);
      double dpo = DpoLoss.compute(DpoLossConfig.of(0.5, DpoLossType.SIGMOID), PreferenceLogps.of(c, r, z, z)).loss()
          .getDouble();
      double cdpo0 = DpoLoss.compute(DpoLossConfig.of(0.5, DpoLossType.CDPO), PreferenceLogps.of(c, r, z, z)).loss()
          .getDouble();
      assertThat(cdpo0).isEqualTo(dpo);
      double eps = 0.2;
      double[] d = {2, 0, -7};
      double want = 0;
      for (double x : d) {
        double bd = 0.5 * x;
        want += (-(1 - eps) * Math.log(1 / (1 + Math.exp(-bd))) - eps * Math.log(1 / (1 + Math.exp(bd)))) / 3;
      }
      double got = DpoLoss.compute(DpoLossConfig.of(0.5, DpoLossType.CDPO).withLabelSmoothing(eps),
          PreferenceLogps.of(c, r, z, z)).loss().getDouble();
      assertThat(got).isCloseTo(want, Offset.offset(1e-12));
    }
  }

  @Test
  void extremeMarginsStayFiniteInFloat32() {
    try (NDManager m = Torch.newManager()) {
      NDArray c = m.create(new float[] {-1f, -3000f});
      NDArray r = m.create(new float[] {-3000f, -1f});
      NDArray z = m.zeros(c.getShape(), DataType.FLOAT32);
      for (DpoLossType t : List.of(DpoLossType.SIGMOID, DpoLossType.NCA_PAIR, DpoLossType.BCO_PAIR,
          DpoLossType.ROBUST)) {
        DpoLossOutput out = DpoLoss.compute(DpoLossConfig.of(1.0, t), PreferenceLogps.of(c, r, z, z));
        float[] perPair = out.perPair().toFloatArray();
        boolean marginBased = t == DpoLossType.SIGMOID || t == DpoLossType.ROBUST;
        if (marginBased) {
          assertThat(perPair[0]).as("%s, won by a mile", t).isBetween(0f, 1e-6f);
        }
        assertThat(perPair[0]).as("%s", t).isFinite();
        assertThat(perPair[1]).as("%s, lost by a mile", t).isGreaterThan(1000f).isLessThan(Float.POSITIVE_INFINITY);
      }
    }
  }

  @Test
  void alphaDivergenceClampsTheExponentAsTrl() {
    try (NDManager m = Torch.newManager()) {
      // (a-1)u = 100 is clamped to 80 (float32), 11 (float16); below the clamp the formula is exact
      float[] s32 = FDivergence.ALPHA_DIVERGENCE.score(m.create(new float[] {100f, 2f}), 2.0).toFloatArray();
      assertThat(s32[0]).isEqualTo((float) Math.expm1(80));
      assertThat((double) s32[1]).isCloseTo(Math.expm1(2), Offset.offset(1e-5));
      float[] s16 = FDivergence.ALPHA_DIVERGENCE.score(m.create(new float[] {100f}).toType(DataType.FLOAT16, false),
          2.0).toType(DataType.FLOAT32, false).toFloatArray();
      assertThat((double) s16[0]).isCloseTo(Math.expm1(11), Offset.offset(Math.expm1(11) * 1e-3));
      assertThat(FDivergence.ALPHA_DIVERGENCE.score(m.create(new double[] {0.7}), 1.0 + 1e-7).getDouble())
          .as("|a - 1| < 1e-6 falls back to reverse KL").isEqualTo(0.7);
    }
  }

  @Test
  void log1mexpIsAccurateNearZeroInFloat32() {
    try (NDManager m = Torch.newManager()) {
      float[] x = {-1e-6f, -1e-3f, -0.5f, -0.7f, -5f, -40f};
      float[] got = OrpoLoss.log1mexp(m.create(x)).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        double want = Math.log(-Math.expm1(x[i]));
        assertThat((double) got[i]).as("log1mexp(%s)", x[i]).isCloseTo(want,
            Offset.offset(2e-6 * Math.max(1, Math.abs(want))));
      }
    }
  }
}
