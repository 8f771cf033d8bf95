package dev.align4j.rl.loss;

import dev.align4j.rl.TokenArrays;
import java.util.Locale;

/**
 * TRL GRPO's {@code loss_type} aggregations of the per-token loss {@code l_it} over the completion
 * mask: {@code loss = sum_it w_it l_it / units}.
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
  DAPO;

  /** The per-token weights {@code w_it}: {@code 1 / max(|o_i|, 1)} for GRPO, 1 otherwise; 0 where masked. */
  public double[][] weights(boolean[][] mask) {
    int b = mask.length;
    int t = TokenArrays.columns(mask);
    double[][] w = new double[b][t];
    for (int i = 0; i < b; i++) {
      double wi = this == GRPO ? 1.0 / Math.max(1, TokenArrays.count(mask[i])) : 1.0;
      for (int j = 0; j < t; j++) {
        w[i][j] = mask[i][j] ? wi : 0.0;
      }
    }
    return w;
  }

  /**
   * The denominator for this batch: B (GRPO), {@code max(tokens, 1)} (BNPO, DAPO), {@code B *
   * maxCompletionLength} (DR_GRPO). For DAPO under gradient accumulation, divide the summed numerators
   * by the tokens of the whole accumulated batch instead (TRL's {@code num_items_in_batch}).
   */
  public double units(boolean[][] mask, int maxCompletionLength) {
    return switch (this) {
      case GRPO -> mask.length;
      case BNPO, DAPO -> Math.max(1, TokenArrays.count(mask));
      case DR_GRPO -> (double) mask.length * maxCompletionLength;
    };
  }

  /** Parses TRL's names {@code grpo|bnpo|dr_grpo|dapo}. */
  public static LossAggregation parse(String s) {
    for (LossAggregation a : values()) {
      if (a.name().toLowerCase(Locale.ROOT).equals(s.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown GRPO loss_type '" + s + "' (expected grpo, bnpo, dr_grpo or dapo)");
  }
}
