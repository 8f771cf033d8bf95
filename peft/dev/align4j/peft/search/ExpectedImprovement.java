package dev.align4j.peft.search;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * Expected improvement for minimisation: {@code E[max(best - xi - f, 0)]} for {@code f ~ N(mean, std^2)},
 * in closed form {@code (best - xi - mean) Phi(z) + std phi(z)} with {@code z = (best - xi - mean) / std}
 * (Jones, Schonlau and Welch 1998); {@code xi >= 0} trades exploitation for exploration.
 */
public final class ExpectedImprovement {
  private static final NormalDistribution STD_NORMAL = new NormalDistribution(null, 0, 1);

  private ExpectedImprovement() {}

  /** The expected improvement over {@code best} (the lowest loss seen) at a point with posterior {@code mean}, {@code std}. */
  public static double of(double mean, double std, double best, double xi) {
    double imp = best - xi - mean;
    if (!(std > 0)) {
      return Math.max(imp, 0);
    }
    double z = imp / std;
    return imp * STD_NORMAL.cumulativeProbability(z) + std * STD_NORMAL.density(z);
  }
}
