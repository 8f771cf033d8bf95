package dev.align4j.dpo.loss;

import java.util.Locale;

/** TRL 1.13's {@code KTOConfig.loss_type}. */
public enum KtoLossType {
  /** KTO, eq. 7 of Ethayarajh et al. 2024, with the batch KL estimate as reference point. */
  KTO("kto"),
  /** Unpaired APO-zero (D'Oosterlinck et al. 2024, eq. 7 per side); no KL term. */
  APO_ZERO_UNPAIRED("apo_zero_unpaired");

  private final String id;

  KtoLossType(String id) {
    this.id = id;
  }

  /** TRL's name. */
  public String id() {
    return id;
  }

  /** Whether the loss uses the KL estimate from mismatched completions (TRL's {@code calculate_KL}). */
  public boolean usesKl() {
    return this == KTO;
  }

  /** Parses TRL's name, case-insensitively. */
  public static KtoLossType fromId(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (KtoLossType t : values()) {
      if (t.id.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown KTO loss_type '" + name + "'; expected kto or apo_zero_unpaired");
  }

  @Override
  public String toString() {
    return id;
  }
}
