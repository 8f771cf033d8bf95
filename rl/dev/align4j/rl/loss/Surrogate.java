package dev.align4j.rl.loss;

/**
 * The per-token clipped surrogate of PPO (Schulman et al. 2017, eq. 7: {@code L = -min(rho A,
 * clip(rho, 1-eps_low, 1+eps_high) A)}) and its derivative in {@code rho}, with torch's subgradient
 * conventions (clamp passes the gradient on the closed interval; min/max split it in half on ties),
 * so gradients match autograd also at {@code rho = 1}, where the two branches tie.
 */
final class Surrogate {
  private Surrogate() {}

  /**
   * Returns {@code {loss, dLoss/dRho}}.
   *
   * @param rho the importance ratio
   * @param a the advantage
   * @param low clip below at {@code 1 - low}
   * @param high clip above at {@code 1 + high}
   * @param delta upper cap on the unclipped ratio (TRL GRPO {@code delta}), NaN for none
   * @param dualClip OpenRLHF's dual clip (lower bound {@code dualClip * A} for {@code A < 0}), NaN for none
   */
  static double[] of(double rho, double a, double low, double high, double delta, double dualClip) {
    double c1 = rho;
    double d1 = 1;
    if (!Double.isNaN(delta) && rho > delta) {
      c1 = delta;
      d1 = 0;
    }
    double c2 = Math.max(1 - low, Math.min(1 + high, rho));
    double d2 = rho >= 1 - low && rho <= 1 + high ? 1 : 0;
    double s1 = c1 * a;
    double s2 = c2 * a;
    double m;
    double dm;
    if (s1 < s2) {
      m = s1;
      dm = d1 * a;
    } else if (s1 > s2) {
      m = s2;
      dm = d2 * a;
    } else {
      m = s1;
      dm = (d1 * a + d2 * a) / 2;
    }
    if (!Double.isNaN(dualClip) && a < 0) {
      double floor = dualClip * a;
      if (m < floor) {
        m = floor;
        dm = 0;
      } else if (m == floor) {
        dm = dm / 2;
      }
    }
    return new double[] {-m, -dm};
  }

  /** True if the clipped branch is strictly the smaller one ({@code surr2 < surr1}, OpenRLHF's clip ratio). */
  static boolean clipped(double rho, double a, double low, double high) {
    double c2 = Math.max(1 - low, Math.min(1 + high, rho));
    return c2 * a < rho * a;
  }
}
