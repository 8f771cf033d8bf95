package dev.align4j.rl.loss;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static dev.align4j.rl.RlGoldens.vec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * TRL 1.13's further GRPO loss types (cispo, sapo, luspo, vespo) against TRL's own {@code
 * GRPOTrainer._compute_loss} (goldens by make_rl_goldens.py: loss, autograd gradient, metrics), with
 * their options (epsilon_high as CISPO's cap, SAPO's temperatures, VESPO's k and lambda, beta, sequence
 * level, far-off-policy ratios that reach VESPO's clamps, an advantage of exactly 0), and gradients by
 * finite differences with the detached weights held where they were.
 */
class GrpoLossVariantsTest {
  static GrpoLossConfig config(JsonNode c) {
    GrpoLossConfig base = GrpoLossTest.config(c);
    SoftGates g = new SoftGates(c.get("sapo_temperature_pos").asDouble(), c.get("sapo_temperature_neg").asDouble(),
        c.get("vespo_k_pos").asDouble(), c.get("vespo_lambda_pos").asDouble(), c.get("vespo_k_neg").asDouble(),
        c.get("vespo_lambda_neg").asDouble());
    return new GrpoLossConfig(base.aggregation(), base.epsilonLow(), base.epsilonHigh(), base.delta(), base.beta(),
        base.biasCorrectionKl(), base.level(), base.maxCompletionLength(), g);
  }

  @Test
  void everyLossTypeAndOptionMatchesTrl() {
    Set<String> types = new HashSet<>();
    for (JsonNode c : RlGoldens.cases("grpo_loss_variants")) {
      GrpoLossConfig cfg = config(c);
      String type = c.get("loss_type").asText();
      String what = type + " " + c.get("options");
      GrpoLossResult r = GrpoLoss.compute(cfg, GrpoLossTest.input(c, mat(c.get("logp"))));
      assertClose(what + " loss", r.loss(), c.get("loss").asDouble(), 1e-13);
      assertClose(what + " grad", r.value().grad(), mat(c.get("grad")), 1e-13);
      JsonNode m = c.get("metrics");
      if (cfg.beta() != 0) {
        assertClose(what + " kl", r.meanKl(), m.get("kl").asDouble(), 1e-13);
      } else {
        assertThat(r.meanKl()).isNaN();
      }
      switch (cfg.aggregation()) {
        case CISPO -> {
          // a .float() flag: float32 mean
          assertClose(what + " cispo clip", r.clipHigh(), m.get("cispo_clip_ratio").asDouble(), 1e-7);
          assertThat(r.clipRegion()).isEqualTo(r.clipHigh());
          assertThat(r.clipLow()).isZero();
        }
        case LUSPO -> {
          assertClose(what + " clip low", r.clipLow(), m.get("clip_ratio/low_mean").asDouble(), 1e-7);
          assertClose(what + " clip high", r.clipHigh(), m.get("clip_ratio/high_mean").asDouble(), 1e-7);
          assertClose(what + " clip region", r.clipRegion(), m.get("clip_ratio/region_mean").asDouble(), 1e-7);
        }
        case VESPO -> assertClose(what + " phi", r.vespoPhiMean(), m.get("vespo/phi_seq_mean").asDouble(), 1e-13);
        default -> {
          assertThat(m.has("clip_ratio/region_mean")).isFalse();
          assertThat(r.clipRegion()).isZero();
        }
      }
      if (cfg.aggregation() != LossAggregation.VESPO) {
        assertThat(r.vespoPhiMean()).isNaN();
      }
      types.add(type);
    }
    assertThat(types).containsExactlyInAnyOrder("cispo", "sapo", "luspo", "vespo");
  }

  @Test
  void gradientsAreFiniteDifferencesWithTheDetachedWeightsHeld() {
    for (JsonNode c : RlGoldens.cases("grpo_loss_variants")) {
      GrpoLossConfig cfg = config(c);
      double[][] logp = mat(c.get("logp"));
      GrpoLossInput at = GrpoLossTest.input(c, logp);
      double[][] grad = GrpoLoss.compute(cfg, at).value().grad();
      FiniteDifferences.assertGradient(c.get("loss_type").asText() + " " + c.get("options"),
          x -> GrpoLoss.compute(cfg, GrpoLossTest.input(c, x), at).loss(), logp, grad, 1e-6, 1e-6);
    }
  }

  @Test
  void detachedWeightsAreNotDifferentiated() {
    // CISPO's capped ratio and VESPO's phi are constants to autograd: the gradient is not the
    // derivative of the loss's value (which moves the weights too) whenever they vary
    for (String type : new String[] {"cispo", "vespo"}) {
      JsonNode c = RlGoldens.cases("grpo_loss_variants").stream()
          .filter(n -> n.get("loss_type").asText().equals(type) && !n.get("options").has("beta")).findFirst().get();
      GrpoLossConfig cfg = config(c);
      double[][] logp = mat(c.get("logp"));
      double[][] grad = GrpoLoss.compute(cfg, GrpoLossTest.input(c, logp)).value().grad();
      double[][] old = mat(c.get("old"));
      // a token whose ratio is below CISPO's cap (where the cap holds, the weight is constant anyway)
      int i = 0;
      int j = 0;
      while (type.equals("cispo") && Math.exp(logp[i][j] - old[i][j]) >= cfg.epsilonHigh()) {
        j++;
      }
      assertThat(mask(c.get("mask"))[i][j]).isTrue();
      double h = 1e-6;
      double[][] p = FiniteDifferences.copy(logp);
      double[][] q = FiniteDifferences.copy(logp);
      p[i][j] += h;
      q[i][j] -= h;
      double full = (GrpoLoss.compute(cfg, GrpoLossTest.input(c, p)).loss()
          - GrpoLoss.compute(cfg, GrpoLossTest.input(c, q)).loss()) / (2 * h);
      assertThat(Math.abs(full - grad[i][j])).as(type).isGreaterThan(1e-4);
    }
  }

  @Test
  void parsesTrlNames() {
    for (String s : new String[] {"cispo", "sapo", "luspo", "vespo"}) {
      assertThat(LossAggregation.parse(s).name().toLowerCase(java.util.Locale.ROOT)).isEqualTo(s);
    }
    assertThat(LossAggregation.LUSPO.units(new boolean[][] {{true, true}, {true, false}}, 9)).isEqualTo(2);
    assertThat(LossAggregation.VESPO.units(new boolean[][] {{true, true}, {true, false}}, 9)).isEqualTo(3);
  }
}
