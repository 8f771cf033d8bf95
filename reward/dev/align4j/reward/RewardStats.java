package dev.align4j.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * Statistics of a reward model's scores over a set of sequences (the eval pairs, both sides), for
 * normalising rewards in PPO as OpenRLHF does ({@code reward.normalize_enable}: {@code (r - mean) /
 * std}). OpenRLHF's {@code RewardModelTrainer.evaluate} stores them as {@code config.json}'s
 * {@code mean} and {@code std}: the mean, and torch's default (Bessel-corrected) standard deviation
 * clamped below at {@code 1e-8}.
 *
 * @param mean mean reward
 * @param std Bessel-corrected standard deviation, at least {@code 1e-8}
 * @param min smallest reward
 * @param max largest reward
 * @param count rewards counted
 */
public record RewardStats(double mean, double std, double min, double max, long count) {
  /** OpenRLHF's lower bound on std. */
  public static final double MIN_STD = 1e-8;

  /** Validates. */
  public RewardStats {
    if (count < 1 || !Double.isFinite(mean) || !(std >= MIN_STD)) {
      throw new IllegalArgumentException("reward statistics need >= 1 finite reward (mean " + mean + ", std " + std
          + ", count " + count + ")");
    }
  }

  /** The statistics of {@code rewards} (two-pass: mean, then the centred sum of squares). */
  public static RewardStats of(double[] rewards) {
    if (rewards.length == 0) {
      throw new IllegalArgumentException("no rewards to summarise");
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double r : rewards) {
      sum += r;
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    double mean = sum / rewards.length;
    double ss = 0;
    for (double r : rewards) {
      ss += (r - mean) * (r - mean);
    }
    // torch.std of one element is NaN; clamp(min=1e-8) keeps NaN, we keep the bound
    double std = rewards.length > 1 ? Math.sqrt(ss / (rewards.length - 1)) : 0;
    return new RewardStats(mean, Math.max(std, MIN_STD), min, max, rewards.length);
  }

  /** {@code (r - mean) / std}. */
  public double normalize(double reward) {
    return (reward - mean) / std;
  }

  /** Writes {@code mean} and {@code std} into a {@code config.json} tree, as OpenRLHF. */
  public void putInto(ObjectNode config) {
    config.put("mean", mean).put("std", std);
  }

  /** The full record as JSON ({@code reward_stats.json}). */
  public ObjectNode toJson(ObjectNode into) {
    return into.put("mean", mean).put("std", std).put("min", min).put("max", max).put("count", count);
  }

  /** {@code mean} and {@code std} from a {@code config.json} or {@code reward_stats.json} tree, when both are numbers. */
  public static Optional<RewardStats> from(JsonNode n) {
    if (n == null || !n.path("mean").isNumber() || !n.path("std").isNumber()) {
      return Optional.empty();
    }
    double mean = n.get("mean").asDouble();
    double std = n.get("std").asDouble();
    return Optional.of(new RewardStats(mean, Math.max(std, MIN_STD), n.path("min").asDouble(mean),
        n.path("max").asDouble(mean), Math.max(1, n.path("count").asLong(1))));
  }
}
