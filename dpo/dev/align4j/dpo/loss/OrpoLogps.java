package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/**
 * The inputs of {@link OrpoLoss}; no reference model.
 *
 * @param chosen policy log-probs of the chosen completions AVERAGED over completion tokens ({@link
 *     SequenceLogps#mean}; must be < 0), [B], with autograd
 * @param rejected the same for the rejected completions, [B]
 * @param chosenNll the token-mean NLL of the chosen sequences over prompt AND completion (TRL's ORPO masks
 *     only padding: {@code SequenceLogps.tokenMeanNll} with the shifted attention mask), a scalar with autograd
 */
public record OrpoLogps(NDArray chosen, NDArray rejected, NDArray chosenNll) {

  public OrpoLogps {
    if (chosen == null || rejected == null || chosenNll == null) {
      throw new IllegalArgumentException("ORPO needs chosen and rejected mean log-probs and the chosen NLL");
    }
    if (chosen.getShape().dimension() != 1 || !chosen.getShape().equals(rejected.getShape())) {
      throw new IllegalArgumentException("chosen and rejected must both be [B], got " + chosen.getShape() + " and "
          + rejected.getShape());
    }
    if (chosenNll.size() != 1) {
      throw new IllegalArgumentException("chosenNll must be a scalar, got " + chosenNll.getShape());
    }
  }
}
