package dev.align4j.rl.rollout;

import dev.align4j.rl.reward.RewardFunction;
import dev.align4j.rl.reward.RewardInput;
import dev.align4j.rl.reward.WeightedRewards;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Scorer} from Java reward functions combined with weights ({@link WeightedRewards}: a
 * completion every function skipped scores NaN), and optionally one more score source (a reward
 * model) added with weight 1.
 */
public final class RewardScorer implements Scorer {
  private final List<RewardFunction> functions;
  private final double[] weights;
  private final Scorer extra;

  /**
   * @param extra a further scorer (the reward model), or null
   */
  public RewardScorer(List<RewardFunction> functions, double[] weights, Scorer extra) {
    if (functions.size() != weights.length) {
      throw new IllegalArgumentException(functions.size() + " reward functions but " + weights.length + " weights");
    }
    if (functions.isEmpty() && extra == null) {
      throw new IllegalArgumentException("no reward: name a Java reward function or a reward model");
    }
    this.functions = List.copyOf(functions);
    this.weights = weights.clone();
    this.extra = extra;
  }

  @Override
  public double[] score(List<Sample> samples) {
    double[] out = new double[samples.size()];
    if (!functions.isEmpty()) {
      List<RewardInput> inputs = new ArrayList<>();
      for (Sample s : samples) {
        long[] c = s.completionIds();
        int[] ids = new int[c.length];
        for (int j = 0; j < c.length; j++) {
          ids[j] = Math.toIntExact(c[j]);
        }
        Map<String, Object> fields = new LinkedHashMap<>(s.prompt().fields());
        inputs.add(new RewardInput(s.prompt().text(), s.completion(), ids, fields));
      }
      out = WeightedRewards.combine(WeightedRewards.scoreAll(functions, inputs), weights);
    }
    if (extra != null) {
      double[] e = extra.score(samples);
      for (int i = 0; i < out.length; i++) {
        out[i] = functions.isEmpty() ? e[i] : Double.isNaN(out[i]) ? e[i] : out[i] + e[i];
      }
    }
    return out;
  }
}
