package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batch metrics that TRL's DPO, CPO and ORPO trainers log, under their names: {@code
 * rewards/chosen|rejected|accuracies|margins} (means over the batch of the detached implicit rewards,
 * their gap and {@code chosen > rejected}) and {@code logps/chosen|rejected} (means of the policy
 * log-probs the loss received).
 */
public record PreferenceMetrics(
    double rewardsChosen,
    double rewardsRejected,
    double rewardsAccuracies,
    double rewardsMargins,
    double logpsChosen,
    double logpsRejected) {

  /** From the per-pair rewards and policy log-probs ([B] each; read without gradient). */
  public static PreferenceMetrics of(NDArray chosenRewards, NDArray rejectedRewards, NDArray chosenLogps,
      NDArray rejectedLogps) {
    NDArray c = chosenRewards.stopGradient();
    NDArray r = rejectedRewards.stopGradient();
    double acc = LossMath.meanValue(c.gt(r).toType(c.getDataType(), false));
    return new PreferenceMetrics(LossMath.meanValue(c), LossMath.meanValue(r), acc, LossMath.meanValue(c.sub(r)),
        LossMath.meanValue(chosenLogps), LossMath.meanValue(rejectedLogps));
  }

  /** TRL's metric names and values, in TRL's logging order. */
  public Map<String, Double> logs() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("rewards/chosen", rewardsChosen);
    m.put("rewards/rejected", rewardsRejected);
    m.put("rewards/accuracies", rewardsAccuracies);
    m.put("rewards/margins", rewardsMargins);
    m.put("logps/chosen", logpsChosen);
    m.put("logps/rejected", logpsRejected);
    return m;
  }
}
