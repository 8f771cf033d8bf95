package dev.align4j.dpo.loss;

import java.util.Locale;

/** TRL 1.13's {@code trl.experimental.cpo.CPOConfig.loss_type}. */
public enum CpoLossType {
  /** CPO, eq. 3 of Xu et al. 2024 (DPO without a reference), optionally label-smoothed. */
  SIGMOID("sigmoid"),
  /** SLiC hinge on the policy log-prob gap. */
  HINGE("hinge"),
  /** IPO (eq. 17 of Azar et al. 2023) on length-averaged log-probs. */
  IPO("ipo"),
  /** SimPO, eq. 6 of Meng et al. 2024: length-averaged log-probs with target margin gamma. */
  SIMPO("simpo");

  private final String id;

  CpoLossType(String id) {
    this.id = id;
  }

  /** TRL's name. */
  public String id() {
    return id;
  }

  /** Whether the sequence log-probs are averaged over completion tokens (ipo, simpo) rather than summed. */
  public boolean averagesLogps() {
    return this == IPO || this == SIMPO;
  }

  /** Parses TRL's name, case-insensitively. */
  public static CpoLossType fromId(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (CpoLossType t : values()) {
      if (t.id.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown CPO loss_type '" + name + "'; expected sigmoid, hinge, ipo or simpo");
  }

  @Override
  public String toString() {
    return id;
  }
}
