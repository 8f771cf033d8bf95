package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/**
 * The inputs of {@link DpoLoss} for a batch of B preference pairs. Sequence log-probs are the sums of
 * completion-token log-probs (TRL's {@code logps}, with LD-DPO's weighting already applied by {@link
 * SequenceLogps#ldAlphaSums} when used).
 *
 * @param chosen policy log-probs of the chosen completions, [B], with autograd
 * @param rejected policy log-probs of the rejected completions, [B], with autograd
 * @param refChosen reference log-probs of the chosen completions, [B] (no gradient); null when
 *     reference-free
 * @param refRejected reference log-probs of the rejected completions, [B]; null when reference-free
 * @param chosenLengths completion token counts of the chosen side, [B], float (ipo, sigmoid_norm; TRL
 *     counts the unshifted {@code completion_mask}); null when not needed
 * @param rejectedLengths completion token counts of the rejected side, [B]
 * @param sftNll the token-mean NLL over all chosen completion tokens of the batch, a scalar with
 *     autograd ({@link SequenceLogps#tokenMeanNll}; the {@code sft} term); null when not needed
 * @param chosenWeights WPO weights of the chosen side, [B], detached ({@link SequenceLogps#wpoWeights});
 *     null without {@code use_weighting}
 * @param rejectedWeights WPO weights of the rejected side, [B], detached
 */
public record PreferenceLogps(
    NDArray chosen,
    NDArray rejected,
    NDArray refChosen,
    NDArray refRejected,
    NDArray chosenLengths,
    NDArray rejectedLengths,
    NDArray sftNll,
    NDArray chosenWeights,
    NDArray rejectedWeights) {

  public PreferenceLogps {
    if (chosen == null || rejected == null) {
      throw new IllegalArgumentException("policy chosen and rejected log-probs are required");
    }
    requireSameShape("rejected", rejected, chosen);
    requireSameShape("refChosen", refChosen, chosen);
    requireSameShape("refRejected", refRejected, chosen);
    requireSameShape("chosenLengths", chosenLengths, chosen);
    requireSameShape("rejectedLengths", rejectedLengths, chosen);
    requireSameShape("chosenWeights", chosenWeights, chosen);
    requireSameShape("rejectedWeights", rejectedWeights, chosen);
    if (chosen.getShape().dimension() != 1) {
      throw new IllegalArgumentException("chosen log-probs must be [B], got " + chosen.getShape());
    }
    if (sftNll != null && sftNll.size() != 1) {
      throw new IllegalArgumentException("sftNll must be a scalar, got " + sftNll.getShape());
    }
  }

  private static void requireSameShape(String name, NDArray x, NDArray like) {
    if (x != null && !x.getShape().equals(like.getShape())) {
      throw new IllegalArgumentException(name + " has shape " + x.getShape() + " but chosen has " + like.getShape());
    }
  }

  /** Policy and reference sequence log-probs only (enough for most loss types). */
  public static PreferenceLogps of(NDArray chosen, NDArray rejected, NDArray refChosen, NDArray refRejected) {
    return new PreferenceLogps(chosen, rejected, refChosen, refRejected, null, null, null, null, null);
  }

  /** Reference-free: policy log-probs only. */
  public static PreferenceLogps referenceFree(NDArray chosen, NDArray rejected) {
    return of(chosen, rejected, null, null);
  }

  /** With completion token counts (ipo, sigmoid_norm). */
  public PreferenceLogps withLengths(NDArray chosenLen, NDArray rejectedLen) {
    return new PreferenceLogps(chosen, rejected, refChosen, refRejected, chosenLen, rejectedLen, sftNll, chosenWeights,
        rejectedWeights);
  }

  /** With the chosen token-mean NLL (sft). */
  public PreferenceLogps withSftNll(NDArray nll) {
    return new PreferenceLogps(chosen, rejected, refChosen, refRejected, chosenLengths, rejectedLengths, nll,
        chosenWeights, rejectedWeights);
  }

  /** With WPO weights (use_weighting). */
  public PreferenceLogps withWpoWeights(NDArray chosenW, NDArray rejectedW) {
    return new PreferenceLogps(chosen, rejected, refChosen, refRejected, chosenLengths, rejectedLengths, sftNll,
        chosenW, rejectedW);
  }

  /** The batch size B. */
  public int batchSize() {
    return (int) chosen.size();
  }
}
