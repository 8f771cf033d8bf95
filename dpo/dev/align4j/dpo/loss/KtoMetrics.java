package dev.align4j.dpo.loss;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batch metrics TRL 1.13's KTO trainer logs: {@code kl} always; {@code rewards/chosen} and {@code
 * logps/chosen} only when the batch has desirable examples, the rejected ones only with undesirable
 * examples, {@code rewards/margins} only with both (absent ones are NaN here and left out of {@link
 * #logs()}).
 */
public record KtoMetrics(double kl, double rewardsChosen, double rewardsRejected, double rewardsMargins,
    double logpsChosen, double logpsRejected) {

  /** TRL's names and values, without the absent ones. */
  public Map<String, Double> logs() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("kl", kl);
    putIfPresent(m, "rewards/chosen", rewardsChosen);
    putIfPresent(m, "logps/chosen", logpsChosen);
    putIfPresent(m, "rewards/rejected", rewardsRejected);
    putIfPresent(m, "logps/rejected", logpsRejected);
    putIfPresent(m, "rewards/margins", rewardsMargins);
    return m;
  }

  private static void putIfPresent(Map<String, Double> m, String k, double v) {
    if (!Double.isNaN(v)) {
      m.put(k, v);
    }
  }
}
