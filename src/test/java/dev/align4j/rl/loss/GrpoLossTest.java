package dev.align4j.rl.loss;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static dev.align4j.rl.RlGoldens.vec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import dev.align4j.rl.RlGoldens;
import org.junit.jupiter.api.Test;

/**
 * The GRPO loss against TRL's own {@code GRPOTrainer._compute_loss} for every loss_type (grpo, bnpo,
 * dr_grpo, dapo) and option (epsilon_high, delta, beta with and without bias correction, sequence-level
 * importance sampling), gradients by torch autograd and by finite differences; the RLOO loss against
 * TRL's {@code RLOOTrainer._compute_loss}.
 */
class GrpoLossTest {
  static GrpoLossConfig config(JsonNode c) {
    JsonNode o = c.get("options");
    return new GrpoLossConfig(LossAggregation.parse(c.get("loss_type").asText()), c.get("epsilon").asDouble(),
        c.get("epsilon_high").asDouble(), o.has("delta") ? o.get("delta").asDouble() : null,
        o.has("beta") ? o.get("beta").asDouble() : 0.0,
        !o.has("bias_correction") || o.get("bias_correction").asBoolean(),
        o.has("level") && o.get("level").asText().equals("sequence")
            ? ImportanceSamplingLevel.SEQUENCE : ImportanceSamplingLevel.TOKEN,
        c.get("max_completion_length").asInt());
  }

  static GrpoLossInput input(JsonNode c, double[][] logp) {
    return new GrpoLossInput(logp, mat(c.get("old")), mat(c.get("ref")), vec(c.get("advantages")), mask(c.get("mask")));
  }

  @Test
  void everyAggregationAndOptionMatchesTrl() {
    int n = 0;
    for (JsonNode c : RlGoldens.cases("grpo_loss")) {
      GrpoLossConfig cfg = config(c);
      String what = c.get("loss_type").asText() + " " + c.get("options");
      GrpoLossResult r = GrpoLoss.compute(cfg, input(c, mat(c.get("logp"))));
      assertClose(what + " loss", r.loss(), c.get("loss").asDouble(), 1e-13);
      assertClose(what + " grad", r.value().grad(), mat(c.get("grad")), 1e-13);
      JsonNode m = c.get("metrics");
      if (cfg.beta() != 0) {
        assertClose(what + " kl", r.meanKl(), m.get("kl").asDouble(), 1e-13);
      } else {
        assertThat(m.has("kl")).isFalse();
        assertThat(r.meanKl()).isNaN();
      }
      // the clip flags go through .float(): float32 means
      assertClose(what + " clip low", r.clipLow(), m.get("clip_ratio/low_mean").asDouble(), 1e-7);
      assertClose(what + " clip high", r.clipHigh(), m.get("clip_ratio/high_mean").asDouble(), 1e-7);
      assertClose(what + " clip region", r.clipRegion(), m.get("clip_ratio/region_mean").asDouble(), 1e-7);
      n++;
    }
    assertThat(n).isEqualTo(32);
  }

  @Test
  void gradientsAreFiniteDifferencesOfTheLoss() {
    for (JsonNode c : RlGoldens.cases("grpo_loss")) {
      GrpoLossConfig cfg = config(c);
      double[][] logp = mat(c.get("logp"));
      double[][] grad = GrpoLoss.compute(cfg, input(c, logp)).value().grad();
      FiniteDifferences.assertGradient(c.get("loss_type").asText() + " " + c.get("options"),
          x -> GrpoLoss.compute(cfg, input(c, x)).loss(), logp, grad, 1e-6, 1e-6);
    }
  }

  @Test
  void dapoSumsOverMicroBatchesGiveTheFullBatch() {
    // the loop adds the micro-batches' sums and divides by the tokens of the whole batch (TRL's
    // num_items_in_batch): the result must equal the loss of the batch in one piece
    JsonNode c = RlGoldens.cases("grpo_loss").stream()
        .filter(n -> n.get("loss_type").asText().equals("dapo") && n.get("options").has("beta")).findFirst().get();
    GrpoLossConfig cfg = config(c);
    GrpoLossInput all = input(c, mat(c.get("logp")));
    GrpoLossResult whole = GrpoLoss.compute(cfg, all);
    double sum = 0;
    double units = 0;
    double[][] grad = new double[all.mask().length][];
    for (int[] range : new int[][] {{0, 2}, {2, all.mask().length}}) {
      GrpoLossInput part = new GrpoLossInput(rows(all.logp(), range), rows(all.oldLogp(), range),
          rows(all.refLogp(), range), Arrays.copyOfRange(all.advantages(), range[0], range[1]),
          Arrays.copyOfRange(all.mask(), range[0], range[1]));
      LossValue v = GrpoLoss.compute(cfg, part).value();
      sum += v.sum();
      units += v.units();
      System.arraycopy(v.gradSum(), 0, grad, range[0], range[1] - range[0]);
    }
    assertClose("accumulated dapo loss", sum / units, whole.loss(), 1e-15);
    assertClose("accumulated dapo gradient", grad, whole.value().gradSum(), 1e-15);
  }

  private static double[][] rows(double[][] x, int[] range) {
    return Arrays.copyOfRange(x, range[0], range[1]);
  }

  @Test
  void rlooLossMatchesTrl() {
    for (JsonNode c : RlGoldens.cases("rloo_loss")) {
      RlooLoss.Input in = new RlooLoss.Input(mat(c.get("logp")), vec(c.get("old_sequence_logp")),
          vec(c.get("advantages")), mask(c.get("mask")));
      RlooLoss.Result r = RlooLoss.compute(in, c.get("epsilon").asDouble(), c.get("epsilon_high").asDouble());
      assertClose("rloo loss", r.loss(), c.get("loss").asDouble(), 1e-13);
      assertClose("rloo grad", r.value().grad(), mat(c.get("grad")), 1e-13);
      JsonNode m = c.get("metrics");
      assertClose("rloo clip low", r.clipLow(), m.get("clip_ratio/low_mean").asDouble(), 1e-7);
      assertClose("rloo clip high", r.clipHigh(), m.get("clip_ratio/high_mean").asDouble(), 1e-7);
      assertClose("rloo clip region", r.clipRegion(), m.get("clip_ratio/region_mean").asDouble(), 1e-7);
      double eh = c.get("epsilon_high").asDouble();
      FiniteDifferences.assertGradient("rloo", x -> RlooLoss.compute(new RlooLoss.Input(x, in.oldSequenceLogp(),
          in.advantages(), in.mask()), 0.2, eh).loss(), in.logp(), r.value().grad(), 1e-6, 1e-6);
    }
  }
}
