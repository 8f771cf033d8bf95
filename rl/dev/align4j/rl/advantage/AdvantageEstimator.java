package dev.align4j.rl.advantage;

import java.util.Locale;

/**
 * OpenRLHF's {@code algo.advantage.estimator}: how sequence rewards become per-token advantages
 * (see {@link OpenRlhfAdvantages}).
 */
public enum AdvantageEstimator {
  /** PPO with a critic: GAE (Schulman et al. 2016), then global whitening. */
  GAE(false, true),
  /** REINFORCE++ (Hu 2025): no baseline, reward-to-go, global whitening over the batch. */
  REINFORCE(false, true),
  /** RLOO (Ahmadian et al. 2024): minus the mean of the other samples of the prompt; no whitening. */
  RLOO(true, false),
  /** REINFORCE++-baseline: minus the group mean, reward-to-go, then global whitening. */
  REINFORCE_BASELINE(true, true),
  /** GRPO (Shao et al. 2024, eq. 3 outcome supervision): (r - group mean) / (group std + 1e-9). */
  GROUP_NORM(true, false),
  /** Dr. GRPO (Liu et al. 2025): minus the group mean, no std division. */
  DR_GRPO(true, false);

  private final boolean grouped;
  private final boolean whitened;

  AdvantageEstimator(boolean grouped, boolean whitened) {
    this.grouped = grouped;
    this.whitened = whitened;
  }

  /** True if the estimator uses the other samples of the same prompt (needs {@code n_samples >= 2}). */
  public boolean grouped() {
    return grouped;
  }

  /** True if OpenRLHF whitens the advantages over the whole batch afterwards. */
  public boolean whitened() {
    return whitened;
  }

  /** True if the estimator needs a critic (values). */
  public boolean needsCritic() {
    return this == GAE;
  }

  /** Parses OpenRLHF's names ({@code gae, reinforce, rloo, reinforce_baseline, group_norm, dr_grpo}). */
  public static AdvantageEstimator parse(String s) {
    for (AdvantageEstimator e : values()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(s.toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown advantage estimator '" + s
        + "' (expected gae, reinforce, rloo, reinforce_baseline, group_norm or dr_grpo)");
  }
}
