package dev.align4j.dpo.loss;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The DPO-family loss types of TRL 1.13 ({@code DPOConfig.loss_type}), plus {@link #CDPO}, which
 * TRL dropped and OpenRLHF/torchtune keep. Each is a function of the per-pair log-ratios; see
 * {@link PairLosses} for the formula and the paper equation of each.
 */
public enum DpoLossType {
  /** DPO, eq. 7 of Rafailov et al. 2023: {@code -logsig(beta * D)}. */
  SIGMOID("sigmoid"),
  /** SLiC hinge (Zhao et al. 2023, eq. 2 with delta = 1/beta): {@code relu(1 - beta * D)}. */
  HINGE("hinge"),
  /** IPO, eq. 17 of Azar et al. 2023, on length-averaged scores: {@code (D/len - 1/(2 beta))^2}. */
  IPO("ipo"),
  /** Robust DPO (Chowdhury et al. 2024, eq. 8): unbiased under label flips with rate eps. */
  ROBUST("robust"),
  /** EXO-pref (Ji et al. 2024, eq. 16): reverse KL to the smoothed label distribution; needs eps > 0. */
  EXO_PAIR("exo_pair"),
  /** NCA pairwise (Chen et al. 2024, eq. 12). */
  NCA_PAIR("nca_pair"),
  /** BCO pairwise without the running reward mean (Jung et al. 2024). */
  BCO_PAIR("bco_pair"),
  /** SPPO with hard win probabilities (Wu et al. 2024, eq. 4.7 with P = 1 / 0). */
  SPPO_HARD("sppo_hard"),
  /** AOT paired (Melnyk et al. 2024): sorts policy and reference log-ratio gaps separately over the batch. */
  AOT("aot"),
  /** AOT unpaired: sorts the chosen and the rejected log-ratios separately over the batch. */
  AOT_UNPAIRED("aot_unpaired"),
  /** APO-zero, eq. 7 of D'Oosterlinck et al. 2024. */
  APO_ZERO("apo_zero"),
  /** APO-down, eq. 8 of D'Oosterlinck et al. 2024. */
  APO_DOWN("apo_down"),
  /** DiscoPOP, eq. 5 of Chris Lu et al. 2024 (log-ratio modulated logistic/exponential blend, {@code tau}). */
  DISCOPOP("discopop"),
  /** DPO's sigmoid on length-averaged scores. */
  SIGMOID_NORM("sigmoid_norm"),
  /** Token-mean NLL of the chosen completions (RPO = sigmoid + sft, Pang et al. 2024, eq. 1). */
  SFT("sft"),
  /**
   * Conservative DPO (cDPO, Mitchell 2023; TRL before 0.20, OpenRLHF and torchtune):
   * {@code -(1-eps) logsig(beta D) - eps logsig(-beta D)} with eps = label smoothing. Not in TRL 1.13.
   */
  CDPO("cdpo");

  private final String id;

  DpoLossType(String id) {
    this.id = id;
  }

  /** TRL's name ({@code "sigmoid"}, {@code "apo_zero"}, ...; {@code "cdpo"} is align4j's). */
  public String id() {
    return id;
  }

  /** Parses TRL's name, case-insensitively; the error lists the valid names. */
  public static DpoLossType fromId(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (DpoLossType t : values()) {
      if (t.id.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown DPO loss_type '" + name + "'; expected one of "
        + Arrays.stream(values()).map(DpoLossType::id).collect(Collectors.joining(", ")));
  }

  /**
   * Whether the loss is a function of the f-divergence score gap, so that a non-default {@link
   * FDivergence} applies (TRL: sigmoid, sigmoid_norm, hinge, ipo, exo_pair, robust, discopop, sft).
   */
  public boolean supportsFDivergence() {
    switch (this) {
      case SIGMOID: case SIGMOID_NORM: case HINGE: case IPO: case EXO_PAIR: case ROBUST: case DISCOPOP:
      case SFT: case CDPO:
        return true;
      default:
        return false;
    }
  }

  /** Whether it divides by completion lengths ({@link PreferenceLogps#chosenLengths()}). */
  public boolean needsLengths() {
    return this == IPO || this == SIGMOID_NORM;
  }

  /** Whether it sorts over the batch, so its per-pair values do not belong to the input pairs. */
  public boolean sortsBatch() {
    return this == AOT || this == AOT_UNPAIRED;
  }

  @Override
  public String toString() {
    return id;
  }
}
