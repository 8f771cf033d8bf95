package dev.align4j.rl.kl;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import org.junit.jupiter.api.Test;

/** KL estimators and controllers against OpenRLHF's own code (goldens) and hand-derived values. */
class KlTest {
  @Test
  void approxKlMatchesOpenRlhfIncludingTheClamp() {
    for (JsonNode c : RlGoldens.cases("approx_kl")) {
      KlEstimator e = KlEstimator.parse(c.get("estimator").asText());
      double[][] out = ApproxKl.perToken(mat(c.get("logp")), mat(c.get("ref")), e);
      // OpenRLHF casts the log-probs to float32 (log_probs.float()), so its estimate has float32 precision
      assertClose("approx_kl " + e, out, mat(c.get("out")), 1e-6);
    }
    // the goldens hit the clamp: u = -15 -> k1 -10, k3 +10; u = 12 -> k1 +10, k2 +10
    double[][] u = {{-15, 12}};
    double[][] zero = {{0, 0}};
    assertThat(ApproxKl.perToken(u, zero, KlEstimator.K1)[0]).containsExactly(-10, 10);
    assertThat(ApproxKl.perToken(u, zero, KlEstimator.K2)[0]).containsExactly(10, 10);
    assertThat(ApproxKl.perToken(u, zero, KlEstimator.K3)[0][0]).isEqualTo(10);
  }

  @Test
  void estimatorsAndDerivativesByHand() {
    double u = 0.3;
    assertThat(KlEstimator.K1.of(u)).isEqualTo(0.3);
    assertThat(KlEstimator.K2.of(u)).isCloseTo(0.045, offset(1e-15));
    assertThat(KlEstimator.K3.of(u)).isCloseTo(Math.exp(-0.3) - 1 + 0.3, offset(1e-15));
    for (KlEstimator e : KlEstimator.values()) {
      double h = 1e-6;
      double fd = (e.of(u + h) - e.of(u - h)) / (2 * h);
      assertThat(e.derivative(u)).as(e.name()).isCloseTo(fd, offset(1e-8));
    }
    assertThatThrownBy(() -> KlEstimator.parse("k4")).hasMessageContaining("k4");
  }

  @Test
  void grpoK3IsK3OfTheLogRatioWithoutClamp() {
    double[][] logp = {{-1.0, -2.0, -0.5}};
    double[][] ref = {{-1.3, -20.0, 14.5}};
    double[][] out = ApproxKl.grpoK3(logp, ref);
    for (int j = 0; j < 3; j++) {
      double d = ref[0][j] - logp[0][j];
      assertThat(out[0][j]).isEqualTo(Math.exp(d) - d - 1);
      assertThat(out[0][j]).isCloseTo(KlEstimator.K3.of(logp[0][j] - ref[0][j]),
          offset(1e-9 * Math.max(1, out[0][j])));
    }
    assertThat(out[0][2]).isGreaterThan(10); // no clamp, unlike OpenRLHF
  }

  @Test
  void controllersMatchOpenRlhf() {
    JsonNode c = RlGoldens.cases("kl_controller").get(0);
    KlController adaptive = new AdaptiveKlController(c.get("init").asDouble(), c.get("target").asDouble(),
        c.get("horizon").asDouble());
    KlController fixed = new FixedKlController(c.get("fixed_init").asDouble());
    for (JsonNode s : c.get("steps")) {
      adaptive = adaptive.update(s.get("kl").asDouble(), s.get("n_steps").asLong());
      fixed = fixed.update(s.get("kl").asDouble(), s.get("n_steps").asLong());
      assertClose("adaptive", adaptive.value(), s.get("adaptive").asDouble(), 1e-15);
      assertClose("fixed", fixed.value(), s.get("fixed").asDouble(), 0);
    }
    // immutable states: the record is the checkpoint
    AdaptiveKlController a = new AdaptiveKlController(0.1, 6, 10000);
    assertThat(a.update(12, 100)).isEqualTo(new AdaptiveKlController(0.1 * (1 + 0.2 * 100 / 10000.0), 6, 10000));
    assertThat(a.value()).isEqualTo(0.1);
  }

  @Test
  void controllersRejectBadSettings() {
    assertThatThrownBy(() -> new AdaptiveKlController(0.1, 0, 100)).hasMessageContaining("target");
    assertThatThrownBy(() -> new AdaptiveKlController(0.1, 6, -1)).hasMessageContaining("horizon");
    assertThatThrownBy(() -> new FixedKlController(Double.NaN)).hasMessageContaining("kl_coef");
  }
}
