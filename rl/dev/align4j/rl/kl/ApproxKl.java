package dev.align4j.rl.kl;

import dev.align4j.rl.TokenArrays;

/**
 * Per-token approximate KL between the policy and the reference, as OpenRLHF's {@code
 * compute_approx_kl}: {@code u = logp - logp_ref}, the estimator applied, the RESULT clamped to
 * [-10, 10]. Positions outside the action mask are computed too (OpenRLHF masks them later, in the
 * reward shaping and the metrics).
 */
public final class ApproxKl {
  /** OpenRLHF's clamp on the estimate. */
  public static final double CLAMP = 10.0;

  private ApproxKl() {}

  /**
   * {@code clamp(estimator(logp - logpRef), -10, 10)} per token.
   *
   * @param logp policy log-probs of the sampled tokens {@code [B, T]}
   * @param logpRef reference log-probs {@code [B, T]}
   */
  public static double[][] perToken(double[][] logp, double[][] logpRef, KlEstimator estimator) {
    int b = TokenArrays.rows("logp", logp);
    int t = b == 0 ? 0 : logp[0].length;
    TokenArrays.requireShape("logp", logp, b, t);
    TokenArrays.requireShape("logpRef", logpRef, b, t);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        double k = estimator.of(logp[i][j] - logpRef[i][j]);
        out[i][j] = Math.max(-CLAMP, Math.min(CLAMP, k));
      }
    }
    return out;
  }

  /**
   * TRL GRPO's KL term without clamp: {@code e^(ref - logp) - (ref - logp) - 1} (k3 of {@code u = logp
   * - ref}), per token.
   */
  public static double[][] grpoK3(double[][] logp, double[][] logpRef) {
    int b = TokenArrays.rows("logp", logp);
    int t = b == 0 ? 0 : logp[0].length;
    TokenArrays.requireShape("logpRef", logpRef, b, t);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        double d = logpRef[i][j] - logp[i][j];
        out[i][j] = Math.exp(d) - d - 1;
      }
    }
    return out;
  }
}
