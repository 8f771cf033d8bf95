package dev.align4j.rl.kl;

/**
 * The adaptive KL coefficient of Ziegler et al. 2019 ("Fine-Tuning Language Models from Human
 * Preferences", section 2.2), as OpenRLHF's {@code AdaptiveKLController}: {@code e = clip(KL /
 * target - 1, -0.2, 0.2)}, {@code beta <- beta * (1 + e * n_steps / horizon)}.
 *
 * @param value current coefficient (starts at {@code init_kl_coef})
 * @param target the KL the controller steers to, positive
 * @param horizon how many samples a full 20% correction takes, positive
 */
public record AdaptiveKlController(double value, double target, double horizon) implements KlController {
  /** Validates. */
  public AdaptiveKlController {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("kl_coef must be a finite number >= 0, got " + value);
    }
    if (!(target > 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException("kl target must be a finite number > 0, got " + target);
    }
    if (!(horizon > 0) || Double.isInfinite(horizon)) {
      throw new IllegalArgumentException("kl horizon must be a finite number > 0, got " + horizon);
    }
  }

  @Override
  public AdaptiveKlController update(double currentKl, long nSteps) {
    double e = Math.max(-0.2, Math.min(0.2, currentKl / target - 1));
    double mult = 1 + e * nSteps / horizon;
    return new AdaptiveKlController(value * mult, target, horizon);
  }
}
