package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What {@link OrpoLoss#compute} returns.
 *
 * @param loss {@code nll + mean(oddsRatioLoss)}, with autograd
 * @param oddsRatioLoss {@code -beta * logsig(log_odds)} per pair, [B], with autograd
 * @param chosenRewards {@code beta * chosen} (mean log-probs), [B], detached
 * @param rejectedRewards {@code beta * rejected}, [B], detached
 * @param metrics the shared preference metrics (logps are the mean log-probs, as TRL logs them)
 * @param nllLoss the chosen NLL (TRL's {@code nll_loss})
 * @param logOddsRatio the batch mean of {@code logsig(log_odds)} (TRL's {@code log_odds_ratio})
 * @param logOddsChosen the batch mean of {@code log_odds} (TRL's {@code log_odds_chosen})
 */
public record OrpoLossOutput(NDArray loss, NDArray oddsRatioLoss, NDArray chosenRewards, NDArray rejectedRewards,
    PreferenceMetrics metrics, double nllLoss, double logOddsRatio, double logOddsChosen) {

  /** TRL's metric names and values. */
  public Map<String, Double> logs() {
    Map<String, Double> m = metrics.logs();
    m.put("nll_loss", nllLoss);
    m.put("log_odds_ratio", logOddsRatio);
    m.put("log_odds_chosen", logOddsChosen);
    return m;
  }
}
