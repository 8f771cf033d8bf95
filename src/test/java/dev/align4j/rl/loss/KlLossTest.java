package dev.align4j.rl.loss;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import dev.align4j.rl.kl.KlEstimator;
import org.junit.jupiter.api.Test;

/** The KL term of the loss against OpenRLHF (aggregate_loss of compute_approx_kl, autograd gradient). */
class KlLossTest {
  @Test
  void matchesOpenRlhfWithZeroGradientWhereTheClampBinds() {
    for (JsonNode c : RlGoldens.cases("kl_loss")) {
      KlEstimator e = KlEstimator.parse(c.get("estimator").asText());
      LossValue v = KlLoss.compute(mat(c.get("logp")), mat(c.get("ref")), mask(c.get("mask")), e);
      // compute_approx_kl works in float32 (log_probs.float())
      assertClose(e + " kl loss", v.loss(), c.get("loss").asDouble(), 1e-6);
      assertClose(e + " kl grad", v.grad(), mat(c.get("grad")), 1e-6);
    }
  }
}
