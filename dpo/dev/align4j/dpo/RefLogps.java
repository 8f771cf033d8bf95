package dev.align4j.dpo;

/**
 * A pair's reference log-probabilities: the completion tokens' log-probs summed under the reference
 * policy (LD-DPO's weighting included when set), TRL's {@code ref_chosen_logps}/{@code
 * ref_rejected_logps}.
 *
 * @param chosen the chosen completion's summed log-prob
 * @param rejected the rejected completion's summed log-prob
 */
public record RefLogps(double chosen, double rejected) {
  /** Both must be finite numbers (a NaN here would silently poison every loss). */
  public RefLogps {
    if (!Double.isFinite(chosen) || !Double.isFinite(rejected)) {
      throw new IllegalArgumentException("reference log-probs must be finite, got " + chosen + ", " + rejected);
    }
  }
}
