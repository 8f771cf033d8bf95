package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;
import java.util.Locale;

/**
 * TRL GRPO's {@code loss_type}: the aggregation of the per-token loss {@code l_it} over the completion
 * mask, {@code loss = sum_it w_it l_it / units}, and which per-token loss ({@link #surrogate()}): the
 * clipped ratio for grpo, bnpo, dr_grpo, dapo and luspo; CISPO's clipped, detached weight on the
 * log-prob; SAPO's soft gate; VESPO's gamma weight on the log-prob.
 */
public enum LossAggregation {
  /**
   * GRPO (Shao et al. 2024, eq. 3): each sequence's token mean ({@code 1/|o_i|}), then the mean over
   * sequences. Biases towards short correct and long wrong answers (Dr. GRPO, section 3.1).
   */
  GRPO,
  /** BNPO: the token mean over the local batch. */
  BNPO,
  /**
   * Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training", eq. 2 without the 1/|o_i|): the
   * token sum divided by a constant {@code B * max_completion_length}.
   */
  DR_GRPO,
  /**
   * DAPO (Yu et al. 2025, eq. 8, token-level policy gradient loss; TRL's default): the token sum over
   * the active tokens of the whole accumulated batch (locally: of this batch).
   */
  DAPO,
  /**
   * CISPO (MiniMax-M1, Chen et al. 2025, eq. 4): {@code -sg(min(rho, epsilon_high)) A logp} per token (the
   * ratio is capped at {@code epsilon_high} itself, ScaleRL's 5.0, not {@code 1 + epsilon_high}, and
   * detached, so every token keeps a gradient), aggregated as DAPO.
   */
  CISPO,
  /**
   * SAPO (Gao et al. 2025, "Soft Adaptive Policy Optimization"): {@code -(4 / tau) sigmoid(tau (rho - 1)) A}
   * per token, {@code tau} = {@code sapo_temperature_pos} where A > 0, else {@code sapo_temperature_neg}:
   * a smooth gate in place of the hard clip; aggregated as GRPO.
   */
  SAPO,
  /**
   * LUSPO (length-unbiased GSPO): the clipped surrogate summed over each sequence's tokens, then the mean
   * over sequences (TRL recommends sequence-level ratios with it).
   */
  LUSPO,
  /**
   * VESPO (variational sequence-level soft policy optimisation): {@code -phi(w) A logp} per token with
   * the detached gamma weight {@code phi(w) = e^lambda w^k e^(-lambda w)} of the sequence ratio {@code w =
   * exp(sum_t (logp - logp_old))} ({@code k}, {@code lambda} by the sign of A); aggregated as DAPO.
   */
  VESPO;

  /** The per-token loss a {@code loss_type} uses. */
  public enum Surrogate {
    /** PPO's clipped ratio {@code -min(rho A, clip(rho) A)} (with {@code delta}). */
    CLIPPED,
    /** CISPO's {@code -sg(min(rho, epsilon_high)) A logp}. */
    CISPO,
    /** SAPO's soft gate {@code -(4 / tau) sigmoid(tau (rho - 1)) A}. */
    SAPO,
    /** VESPO's {@code -sg(phi(w)) A logp}. */
    VESPO
  }

  /** The per-token loss of this {@code loss_type}. */
  public Surrogate surrogate() {
    return switch (this) {
      case GRPO, BNPO, DR_GRPO, DAPO, LUSPO -> Surrogate.CLIPPED;
      case CISPO -> Surrogate.CISPO;
      case SAPO -> Surrogate.SAPO;
      case VESPO -> Surrogate.VESPO;
    };
  }

  /** Whether each sequence's tokens are averaged ({@code 1 / |o_i|}) before the mean over sequences. */
  private boolean perSequenceMean() {
    return this == GRPO || this == SAPO;
  }

  /** The per-token weights {@code w_it}: {@code 1 / max(|o_i|, 1)} for GRPO and SAPO, 1 otherwise; 0 where masked. */
  public double[][] weights(boolean[][] mask) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    double[][] w = new double[b][t];
    for (int i = 0; i < b; i++) {
      double wi = perSequenceMean() ? 1.0 / Math.max(1, TokenArrays.count(mask[i])) : 1.0;
      for (int j = 0; j < t; j++) {
        w[i][j] = mask[i][j] ? wi : 0.0;
      }
    }
    return w;
  }

  /**
   * The denominator for this batch: B (GRPO, SAPO, LUSPO), {@code max(tokens, 1)} (BNPO, DAPO, CISPO,
   * VESPO), {@code B * maxCompletionLength} (DR_GRPO). For DAPO under gradient accumulation, divide the
   * summed numerators by the tokens of the whole accumulated batch instead (TRL's {@code
   * num_items_in_batch}).
   */
  public double units(boolean[][] mask, int maxCompletionLength) {
    return switch (this) {
      case GRPO, SAPO, LUSPO -> mask.length;
      case BNPO, DAPO, CISPO, VESPO -> Math.max(1, TokenArrays.count(mask));
      case DR_GRPO -> (double) mask.length * maxCompletionLength;
    };
  }

  /** Parses TRL's names {@code grpo|bnpo|dr_grpo|dapo|cispo|sapo|luspo|vespo}. */
  public static LossAggregation parse(String s) {
    for (LossAggregation a : values()) {
      if (a.name().toLowerCase(Locale.ROOT).equals(s.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown GRPO loss_type '" + s + "' (expected grpo, bnpo, dr_grpo, dapo, cispo, sapo, luspo or vespo)");
  }
}
