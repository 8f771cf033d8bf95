package dev.align4j.rl.loss;

/** OpenRLHF's {@code token_level_loss}: how a per-token loss becomes one number. */
public enum LossReduction {
  /** Mean over all active tokens of the batch (OpenRLHF default; DAPO's token-level loss). */
  TOKEN_MEAN,
  /** Mean over sequences of each sequence's token mean (rows without active tokens left out). */
  SEQUENCE_MEAN
}
