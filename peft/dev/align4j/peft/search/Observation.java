package dev.align4j.peft.search;

/**
 * A finished trial as a strategy sees it.
 *
 * @param point its unit-cube coordinates
 * @param loss its objective as a loss (lower is better, see {@link Direction#toLoss}); NaN when it failed
 */
public record Observation(double[] point, double loss) {
  /** Copies the point. */
  public Observation {
    point = point.clone();
  }

  /** Whether the trial produced a value. */
  public boolean ok() {
    return Double.isFinite(loss);
  }
}
