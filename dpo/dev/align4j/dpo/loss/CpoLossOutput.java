package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What {@link CpoLoss#compute} returns.
 *
 * @param loss {@code mean(perPair) + cpoAlpha * nll}, with autograd
 * @param perPair the preference term per pair, [B], with autograd
 * @param chosenRewards {@code beta * r_w} ({@code r} = log-prob, or AlphaPO's reward), [B], detached
 * @param rejectedRewards {@code beta * r_l}, [B], detached
 * @param metrics the shared preference metrics (logps as the loss received them)
 * @param nllLoss the chosen NLL (0 when {@code cpoAlpha == 0}, as TRL logs it)
 */
public record CpoLossOutput(NDArray loss, NDArray perPair, NDArray chosenRewards, NDArray rejectedRewards,
    PreferenceMetrics metrics, double nllLoss) {

  /** TRL's metric names and values. */
  public Map<String, Double> logs() {
    Map<String, Double> m = metrics.logs();
    m.put("nll_loss", nllLoss);
    return m;
  }
}
