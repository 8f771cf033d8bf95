package dev.align4j.recipes.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.search.Curve;
import dev.align4j.peft.search.Direction;
import dev.align4j.peft.search.Observation;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A finished trial, one line of {@code search.jsonl}.
 *
 * @param index its number (its folder is {@code trials/NNN})
 * @param point its unit-cube coordinates (what the strategy proposed)
 * @param params the recipe values it ran with
 * @param seed its recipe {@code seed}
 * @param status how it ended
 * @param objective the metric's last value (at the stop, for a pruned trial); NaN when failed
 * @param steps the steps at which the metric was reported (up to the stop for a pruned trial)
 * @param values the metric at those steps (NaN where it was not a number)
 * @param error why it failed, else empty
 */
public record Trial(int index, double[] point, Map<String, JsonNode> params, long seed, Status status, double objective,
    long[] steps, double[] values, String error) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How a trial ended. */
  public enum Status {
    /** Ran to the end of its recipe. */
    OK,
    /** Stopped early by the pruner; its objective is the value where it stopped. */
    PRUNED,
    /** The child failed or never reported the metric. */
    FAILED;

    String lower() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Copies the arrays and the map. */
  public Trial {
    point = point.clone();
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    steps = steps.clone();
    values = values.clone();
  }

  /** The curve as losses ({@link Direction#toLoss}; NaN counts as the worst). */
  public Curve lossCurve(Direction d) {
    return SearchRun.toLoss(steps, values, d);
  }

  /** What the strategy sees. */
  public Observation observation(Direction d) {
    double loss = status == Status.FAILED || Double.isNaN(objective) ? Double.NaN : d.toLoss(objective);
    return new Observation(point, loss);
  }

  /** The {@code search.jsonl} line. */
  public ObjectNode toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("trial", index);
    ArrayNode p = n.putArray("point");
    for (double x : point) {
      p.add(x);
    }
    ObjectNode ps = n.putObject("params");
    params.forEach(ps::set);
    n.put("seed", seed);
    n.put("status", status.lower());
    if (Double.isFinite(objective)) {
      n.put("objective", objective);
    } else {
      n.putNull("objective");
    }
    ArrayNode c = n.putArray("curve");
    for (int i = 0; i < steps.length; i++) {
      ArrayNode row = c.addArray().add(steps[i]);
      if (Double.isFinite(values[i])) {
        row.add(values[i]);
      } else {
        row.addNull();
      }
    }
    if (!error.isEmpty()) {
      n.put("error", error);
    }
    return n;
  }

  /** Reads a line; errors name {@code where}. */
  public static Trial fromJson(JsonNode n, String where) {
    try {
      double[] point = new double[n.get("point").size()];
      for (int i = 0; i < point.length; i++) {
        point[i] = n.get("point").get(i).doubleValue();
      }
      Map<String, JsonNode> params = new LinkedHashMap<>();
      n.get("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue()));
      JsonNode c = n.get("curve");
      long[] steps = new long[c.size()];
      double[] values = new double[c.size()];
      for (int i = 0; i < steps.length; i++) {
        steps[i] = c.get(i).get(0).longValue();
        values[i] = c.get(i).get(1).isNull() ? Double.NaN : c.get(i).get(1).doubleValue();
      }
      return new Trial(n.get("trial").intValue(), point, params, n.get("seed").longValue(),
          Status.valueOf(n.get("status").asText().toUpperCase(Locale.ROOT)),
          n.get("objective").isNull() ? Double.NaN : n.get("objective").doubleValue(), steps, values,
          n.path("error").asText(""));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": not a trial record (" + e + ")", e);
    }
  }
}
