package dev.align4j.peft.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.CausalLM;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An objective's mean loss and metrics over held-out examples, without gradients. */
public final class Evaluation {
  private Evaluation() {}

  /**
   * The result of one evaluation.
   *
   * @param loss loss sum over all examples divided by their total count (NaN when the count is 0)
   * @param count the objective's count over all examples
   * @param metrics the objective's named metric sums divided by the same count
   */
  public record Result(double loss, long count, Map<String, Double> metrics) {
    /** Copies the map. */
    public Result {
      metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
  }

  /** Evaluates {@code examples} in chunks of {@code batch}, each on its own sub-manager. */
  public static <E, B> Result run(CausalLM model, Objective<E, B> objective, List<E> examples, int batch) {
    double sum = 0;
    long count = 0;
    Map<String, Double> sums = new LinkedHashMap<>();
    Map<String, Double> extremes = new LinkedHashMap<>();
    for (int i = 0; i < examples.size(); i += batch) {
      List<E> chunk = examples.subList(i, Math.min(examples.size(), i + batch));
      try (NDManager s = model.manager().newSubManager()) {
        Objective.Loss loss = objective.loss(model, objective.collate(s, chunk));
        sum += loss.sum().toType(DataType.FLOAT64, false).getDouble();
        loss.metrics().forEach((k, v) -> sums.merge(k, v.toType(DataType.FLOAT64, false).getDouble(), Double::sum));
        loss.minima().forEach((k, v) -> extremes.merge(k, v.toType(DataType.FLOAT64, false).getDouble(), Math::min));
        loss.maxima().forEach((k, v) -> extremes.merge(k, v.toType(DataType.FLOAT64, false).getDouble(), Math::max));
        count += objective.count(chunk);
      }
    }
    Map<String, Double> means = new LinkedHashMap<>();
    long n = count;
    sums.forEach((k, v) -> means.put(k, n == 0 ? Double.NaN : v / n));
    means.putAll(extremes);
    return new Result(count == 0 ? Double.NaN : sum / count, count, means);
  }
}
