package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/**
 * The inputs of {@link CpoLoss}; no reference model.
 *
 * @param chosen policy log-probs of the chosen completions, [B], with autograd: summed over completion
 *     tokens for sigmoid/hinge, averaged for ipo/simpo ({@link CpoLossType#averagesLogps()})
 * @param rejected the same for the rejected completions, [B]
 * @param chosenNll the token-mean NLL over the chosen COMPLETION tokens (TRL's CPO labels mask the prompt),
 *     a scalar with autograd; may be null when {@code cpoAlpha == 0}
 */
public record CpoLogps(NDArray chosen, NDArray rejected, NDArray chosenNll) {

  public CpoLogps {
    if (chosen == null || rejected == null) {
      throw new IllegalArgumentException("CPO needs chosen and rejected log-probs");
    }
    if (chosen.getShape().dimension() != 1 || !chosen.getShape().equals(rejected.getShape())) {
      throw new IllegalArgumentException("chosen and rejected must both be [B], got " + chosen.getShape() + " and "
          + rejected.getShape());
    }
    if (chosenNll != null && chosenNll.size() != 1) {
      throw new IllegalArgumentException("chosenNll must be a scalar, got " + chosenNll.getShape());
    }
  }
}
