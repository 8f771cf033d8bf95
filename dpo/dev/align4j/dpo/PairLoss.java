package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * The loss of a preference objective given the policy's (and the reference's) sequence log-probs of
 * one micro-batch: the DPO family, ORPO, SimPO/CPO. The formulas are the pure functions of {@code
 * dev.align4j.dpo.loss}; an implementation only picks the inputs they take.
 */
public interface PairLoss {
  /**
   * What a loss sees of one micro-batch.
   *
   * @param chosen {@code [B]} policy log-prob sums of the chosen completions (autograd)
   * @param rejected {@code [B]} the same for the rejected completions
   * @param refChosen {@code [B]} reference sums (no gradient), null for reference-free losses
   * @param refRejected {@code [B]} the same for the rejected completions, or null
   * @param policy per-token log-probs of all 2B rows (NLL terms, length normalisation)
   * @param logits next-token logits {@code [2B, T, V]} (WPO weights)
   * @param batch the collated batch (completion masks and lengths)
   */
  record Inputs(NDArray chosen, NDArray rejected, NDArray refChosen, NDArray refRejected, CompletionLogps policy,
      NDArray logits, DpoBatch batch) {}

  /**
   * One micro-batch's loss.
   *
   * @param sum the micro-batch's loss times its B pairs, with autograd: the engine divides the sum over
   *     micro-batches by the effective batch's pairs, which gives TRL's per-micro-batch mean (averaged
   *     over equal micro-batches)
   * @param logs TRL's logged metrics of this micro-batch (means: {@code rewards/*}, {@code logps/*},
   *     {@code nll_loss}, ...)
   */
  record Output(NDArray sum, Map<String, Double> logs) {}

  /** The loss of one micro-batch. */
  Output apply(Inputs in);

  /** Whether the loss reads reference log-probs. */
  boolean needsReference();
}
