package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;
import dev.align4j.rl.kl.ApproxKl;
import dev.align4j.rl.kl.KlEstimator;

/**
 * The KL-to-reference term in the policy LOSS instead of the reward (OpenRLHF {@code kl.use_loss},
 * the GRPO paper's eq. 3 placement): the token mean of {@link ApproxKl#perToken} (clamped to +/-10),
 * which the loop adds as {@code loss = policy_loss + kl_coef * kl_loss} ({@code ppo_actor.py}).
 */
public final class KlLoss {
  private KlLoss() {}

  /**
   * The token-mean KL and its gradient with respect to {@code logp} (0 where the clamp binds).
   *
   * @param logp policy log-probs {@code [B, T]} (the input the gradient is for)
   * @param refLogp reference log-probs {@code [B, T]}
   * @param mask action mask {@code [B, T]}
   */
  public static LossValue compute(double[][] logp, double[][] refLogp, boolean[][] mask, KlEstimator estimator) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    TokenArrays.requireShape("mask", mask, b, t);
    double[][] kl = ApproxKl.perToken(logp, refLogp, estimator);
    double sum = 0;
    double[][] grad = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        if (!mask[i][j]) {
          continue;
        }
        sum += kl[i][j];
        double raw = estimator.of(logp[i][j] - refLogp[i][j]);
        // torch.clamp passes the gradient on the closed interval only
        boolean inside = raw >= -ApproxKl.CLAMP && raw <= ApproxKl.CLAMP;
        grad[i][j] = inside ? estimator.derivative(logp[i][j] - refLogp[i][j]) : 0.0;
      }
    }
    return new LossValue(sum, TokenArrays.count(mask), grad);
  }
}
