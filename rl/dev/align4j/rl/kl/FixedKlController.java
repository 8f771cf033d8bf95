package dev.align4j.rl.kl;

/**
 * A constant KL coefficient (OpenRLHF {@code FixedKLController}, used when no target is set).
 *
 * @param value the coefficient, at least 0
 */
public record FixedKlController(double value) implements KlController {
  /** Validates. */
  public FixedKlController {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("kl_coef must be a finite number >= 0, got " + value);
    }
  }

  @Override
  public KlController update(double currentKl, long nSteps) {
    return this;
  }
}
