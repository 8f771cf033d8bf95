package dev.align4j.rl.loss;

/**
 * The GRPO loss and TRL's metrics.
 *
 * @param value loss, units and {@code d sum / d logp}
 * @param meanKl {@code kl}: masked mean of the (bias-corrected) k3 term; NaN when beta is 0
 * @param clipLow {@code clip_ratio/low_mean}: share of tokens with {@code rho < 1 - eps_low} and A < 0
 * @param clipHigh {@code clip_ratio/high_mean}: share with {@code rho > 1 + eps_high} and A > 0
 * @param clipRegion {@code clip_ratio/region_mean}: either (CISPO: {@code cispo_clip_ratio}, the share with
 *     {@code rho > epsilon_high} and A > 0, in high and region; SAPO and VESPO clip nothing: 0)
 * @param vespoPhiMean {@code vespo/phi_seq_mean}: VESPO's mean gamma weight over the sequences; NaN for the
 *     other loss types
 */
public record GrpoLossResult(LossValue value, double meanKl, double clipLow, double clipHigh, double clipRegion,
    double vespoPhiMean) {
  /** The loss. */
  public double loss() {
    return value.loss();
  }
}
