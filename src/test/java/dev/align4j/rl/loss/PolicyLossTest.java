package dev.align4j.rl.loss;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The PPO policy and value losses against OpenRLHF's own PolicyLoss/ValueLoss (float64, gradients by
 * torch autograd), and the analytic gradients against finite differences.
 */
class PolicyLossTest {
  static PolicyLossConfig config(JsonNode kw) {
    double low = kw.has("clip_eps_low") ? kw.get("clip_eps_low").asDouble() : 0.2;
    double high = kw.has("clip_eps_high") ? kw.get("clip_eps_high").asDouble() : 0.2;
    Double dual = kw.has("dual_clip") ? kw.get("dual_clip").asDouble() : null;
    LossReduction r = kw.has("token_level_loss") && !kw.get("token_level_loss").asBoolean()
        ? LossReduction.SEQUENCE_MEAN : LossReduction.TOKEN_MEAN;
    boolean gspo = kw.has("policy_loss_type") && kw.get("policy_loss_type").asText().equals("gspo");
    return new PolicyLossConfig(low, high, dual, r, gspo);
  }

  @Test
  void policyLossMatchesOpenRlhf() {
    for (JsonNode c : RlGoldens.cases("policy_loss")) {
      String name = c.get("name").asText();
      PolicyLossInput in = new PolicyLossInput(mat(c.get("logp")), mat(c.get("old")), mat(c.get("advantages")),
          mask(c.get("mask")));
      PolicyLossResult r = PolicyLoss.compute(config(c.get("config")), in);
      assertClose(name + " loss", r.loss(), c.get("loss").asDouble(), 1e-13);
      assertClose(name + " grad", r.value().grad(), mat(c.get("grad")), 1e-13);
      // OpenRLHF's clip ratio goes through .float(): float32
      assertClose(name + " clip ratio", r.clipFraction(), c.get("clip_ratio").asDouble(), 1e-7);
      assertClose(name + " ppo_kl", r.approxKl(), c.get("ppo_kl").asDouble(), 1e-13);
    }
  }

  @Test
  void valueLossMatchesOpenRlhf() {
    for (JsonNode c : RlGoldens.cases("value_loss")) {
      JsonNode kw = c.get("config");
      ValueLoss.Config cfg = new ValueLoss.Config(kw.has("clip_eps") ? kw.get("clip_eps").asDouble() : null,
          kw.has("token_level_loss") ? LossReduction.SEQUENCE_MEAN : LossReduction.TOKEN_MEAN);
      ValueLoss.Result r = ValueLoss.compute(cfg, mat(c.get("values")), mat(c.get("old_values")),
          mat(c.get("returns")), mask(c.get("mask")));
      String name = c.get("name").asText();
      assertClose(name + " loss", r.loss(), c.get("loss").asDouble(), 1e-13);
      assertClose(name + " grad", r.value().grad(), mat(c.get("grad")), 1e-13);
    }
  }

  @Test
  void policyGradientIsTheFiniteDifferenceOfTheLoss() {
    Random rnd = new Random(7);
    int b = 4;
    int t = 6;
    double[][] old = new double[b][t];
    double[][] logp = new double[b][t];
    double[][] adv = new double[b][t];
    boolean[][] mask = new boolean[b][t];
    int[] len = {6, 3, 1, 5};
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        old[i][j] = -1 - rnd.nextDouble();
        logp[i][j] = old[i][j] + 0.5 * rnd.nextGaussian();
        adv[i][j] = rnd.nextGaussian();
        mask[i][j] = j < len[i];
      }
    }
    for (PolicyLossConfig c : new PolicyLossConfig[] {PolicyLossConfig.DEFAULT,
        new PolicyLossConfig(0.1, 0.3, 2.0, LossReduction.TOKEN_MEAN, false),
        new PolicyLossConfig(0.2, 0.2, null, LossReduction.SEQUENCE_MEAN, false),
        new PolicyLossConfig(0.2, 0.2, null, LossReduction.TOKEN_MEAN, true)}) {
      double[][] grad = PolicyLoss.compute(c, new PolicyLossInput(logp, old, adv, mask)).value().grad();
      FiniteDifferences.assertGradient(c.toString(),
          x -> PolicyLoss.compute(c, new PolicyLossInput(x, old, adv, mask)).loss(), logp, grad, 1e-6, 1e-6);
    }
  }

  @Test
  void valueGradientIsTheFiniteDifferenceOfTheLoss() {
    Random rnd = new Random(8);
    double[][] v = new double[3][5];
    double[][] old = new double[3][5];
    double[][] ret = new double[3][5];
    boolean[][] mask = new boolean[3][5];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 5; j++) {
        old[i][j] = rnd.nextGaussian();
        v[i][j] = old[i][j] + rnd.nextGaussian();
        ret[i][j] = rnd.nextGaussian();
        mask[i][j] = j <= i + 2;
      }
    }
    ValueLoss.Config c = ValueLoss.Config.DEFAULT;
    double[][] grad = ValueLoss.compute(c, v, old, ret, mask).value().grad();
    FiniteDifferences.assertGradient("value", x -> ValueLoss.compute(c, x, old, ret, mask).loss(), v, grad, 1e-6, 1e-6);
  }

  @Test
  void onPolicyTheGradientIsMinusTheAdvantage() {
    // rho = 1: both branches tie; d/dlogp of -rho A is -A per token, divided by the token count
    double[][] lp = {{-1, -2}};
    double[][] a = {{0.5, -3}};
    boolean[][] m = {{true, true}};
    PolicyLossResult r = PolicyLoss.compute(PolicyLossConfig.DEFAULT, new PolicyLossInput(lp, lp, a, m));
    assertThat(r.value().grad()[0]).containsExactly(-0.25, 1.5);
    assertThat(r.loss()).isEqualTo(1.25);
    assertThat(r.clipFraction()).isZero();
    assertThatThrownBy(() -> new PolicyLossConfig(0.2, 0.2, 0.5, LossReduction.TOKEN_MEAN, false))
        .hasMessageContaining("dual_clip");
  }
}
