package dev.align4j.recipes.rl;

import dev.align4j.rl.reward.RewardFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The Java reward functions a recipe can name ({@code reward: incident_judge}). */
public final class NamedRewards {
  private static final Map<String, Supplier<RewardFunction>> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("incident_judge", IncidentJudge::new);
  }

  private NamedRewards() {}

  /** The names, for messages. */
  public static String names() {
    return String.join(", ", BY_NAME.keySet());
  }

  /** The functions of a comma-separated list; an unknown name is an error listing the valid ones. */
  public static List<RewardFunction> resolve(String list) {
    List<RewardFunction> out = new ArrayList<>();
    for (String n : list.split(",")) {
      String name = n.trim();
      if (name.isEmpty()) {
        continue;
      }
      Supplier<RewardFunction> f = BY_NAME.get(name);
      if (f == null) {
        throw new IllegalArgumentException("reward: unknown reward function '" + name + "' (valid: " + names() + ")");
      }
      out.add(f.get());
    }
    return out;
  }

  /** Weights of a comma-separated list; empty means 1 each. */
  public static double[] weights(String list, int n) {
    if (list.isBlank()) {
      double[] w = new double[n];
      Arrays.fill(w, 1.0);
      return w;
    }
    String[] parts = list.split(",");
    if (parts.length != n) {
      throw new IllegalArgumentException("reward_weights: " + parts.length + " weights for " + n + " reward functions");
    }
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      try {
        w[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("reward_weights: '" + parts[i].trim() + "' is not a number");
      }
    }
    return w;
  }
}
