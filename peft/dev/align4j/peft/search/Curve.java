package dev.align4j.peft.search;

import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * A trial's intermediate objective as losses (see {@link Direction#toLoss}) at increasing steps.
 *
 * @param steps the steps of the reports, increasing
 * @param losses the loss reported at each
 */
public record Curve(long[] steps, double[] losses) {
  /** Copies the arrays and checks they match and the steps increase. */
  public Curve {
    if (steps.length != losses.length) {
      throw new IllegalArgumentException("a curve needs as many steps as values");
    }
    for (int i = 1; i < steps.length; i++) {
      if (steps[i] <= steps[i - 1]) {
        throw new IllegalArgumentException("curve steps must increase, got " + steps[i - 1] + " then " + steps[i]);
      }
    }
    steps = steps.clone();
    losses = losses.clone();
  }

  /** The number of reports. */
  public int size() {
    return steps.length;
  }

  /** The last step reported, or -1. */
  public long lastStep() {
    return steps.length == 0 ? -1 : steps[steps.length - 1];
  }

  /** The first {@code n} reports. */
  public Curve prefix(int n) {
    return new Curve(Arrays.copyOf(steps, n), Arrays.copyOf(losses, n));
  }

  /**
   * The value at {@code step}: the last report at or before it, when the trial got that far (it
   * reported at {@code step} or later); empty otherwise.
   */
  public OptionalDouble at(long step) {
    if (lastStep() < step) {
      return OptionalDouble.empty();
    }
    int i = Arrays.binarySearch(steps, step);
    int k = i >= 0 ? i : -i - 2;
    return k < 0 ? OptionalDouble.empty() : OptionalDouble.of(losses[k]);
  }
}
