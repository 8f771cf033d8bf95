package dev.align4j.recipes.rm;

/**
 * Which eval figure picks the best checkpoint and drives early stopping ({@code metric_for_best_model},
 * transformers' name).
 */
public enum BestModelMetric {
  /** The eval Bradley-Terry loss, lower is better. */
  LOSS(null, false),
  /** The eval pairwise accuracy, higher is better. */
  ACCURACY("accuracy", true);

  private final String metric;
  private final boolean greaterIsBetter;

  BestModelMetric(String metric, boolean greaterIsBetter) {
    this.metric = metric;
    this.greaterIsBetter = greaterIsBetter;
  }

  /** The objective's metric name, or null for the loss. */
  public String metric() {
    return metric;
  }

  /** Whether higher values are better. */
  public boolean greaterIsBetter() {
    return greaterIsBetter;
  }
}
