package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;

/**
 * The per-pair loss of a preference objective given the policy's (and the reference's) sequence
 * log-probs: DPO and its variants, ORPO, SimPO/CPO. Implementations are pure functions of their
 * inputs (the formulas live in {@code dev.align4j.dpo.loss}).
 */
public interface PairLoss {
  /**
   * What a loss sees of one micro-batch.
   *
   * @param chosen {@code [B]} policy log-prob sums of the chosen completions (autograd)
   * @param rejected {@code [B]} the same for the rejected completions
   * @param refChosen {@code [B]} reference sums (no gradient), null for reference-free losses
   * @param refRejected {@code [B]} the same for the rejected completions, or null
   * @param policy per-token log-probs of all 2B rows (SFT/NLL terms, length normalisation)
   * @param logits next-token logits {@code [2B, T, V]} (WPO weights, SFT term)
   * @param batch the collated batch (completion masks and lengths)
   */
  record Inputs(NDArray chosen, NDArray rejected, NDArray refChosen, NDArray refRejected, CompletionLogps policy,
      NDArray logits, DpoBatch batch) {}

  /** Per-pair losses {@code [B]} with autograd; the objective sums them (the engine divides by pairs). */
  NDArray perPair(Inputs in);

  /** Whether the loss needs reference log-probs. */
  boolean needsReference();

  /** beta of the implicit rewards {@code beta * (logp - ref_logp)} reported as {@code rewards/*}. */
  double beta();
}
