package dev.align4j.rl.kl;

/**
 * The coefficient of the per-token KL penalty {@code -kl_coef * KL} in the shaped reward. States are
 * immutable records: {@link #update} returns the next state, so a controller is checkpointed by
 * saving its record.
 */
public sealed interface KlController permits FixedKlController, AdaptiveKlController {
  /** The current coefficient. */
  double value();

  /**
   * The state after a rollout batch whose mean KL was {@code currentKl} and which held {@code nSteps}
   * samples (OpenRLHF calls {@code update(kl, n_steps=batch size)}).
   */
  KlController update(double currentKl, long nSteps);
}
