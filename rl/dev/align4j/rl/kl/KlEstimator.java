package dev.align4j.rl.kl;

import java.util.Locale;

/**
 * Per-token estimators of KL(pi || pi_ref) from one sample, as functions of the log-ratio {@code u =
 * log pi(a) - log pi_ref(a)} (Schulman, "Approximating KL divergence", 2020; OpenRLHF {@code
 * models/utils.py: compute_approx_kl}).
 */
public enum KlEstimator {
  /** {@code k1 = u}: unbiased, can be negative per token. */
  K1,
  /** {@code k2 = u^2 / 2}: non-negative, biased. */
  K2,
  /** {@code k3 = e^-u - 1 + u}: non-negative and unbiased (TRL GRPO's KL term). */
  K3;

  /** The estimate for one token's log-ratio {@code u}, without clamping. */
  public double of(double u) {
    return switch (this) {
      case K1 -> u;
      case K2 -> u * u / 2.0;
      case K3 -> Math.exp(-u) - 1 + u;
    };
  }

  /** {@code d of(u) / du}. */
  public double derivative(double u) {
    return switch (this) {
      case K1 -> 1.0;
      case K2 -> u;
      case K3 -> 1 - Math.exp(-u);
    };
  }

  /** Parses {@code k1|k2|k3} (case-insensitive), naming the bad value otherwise. */
  public static KlEstimator parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "k1" -> K1;
      case "k2" -> K2;
      case "k3" -> K3;
      default -> throw new IllegalArgumentException("unknown KL estimator '" + s + "' (expected k1, k2 or k3)");
    };
  }
}
