package dev.align4j.peft.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One searched recipe key, as a map from the unit interval onto its values: strategies work in
 * {@code [0, 1]^d} and never see the key's type. Integers and choices take the cell {@code u} falls
 * in, so every value gets an equal share of the interval.
 */
public sealed interface Param {
  /** The value at {@code u} in [0, 1] (clamped). */
  JsonNode decode(double u);

  /** The unit coordinates of a grid of at most {@code points} values (every value of a small discrete range). */
  List<Double> grid(int points);

  /** A uniform real in [low, high]. */
  record Uniform(double low, double high) implements Param {
    /** Checks the bounds. */
    public Uniform {
      if (!(low < high) || !Double.isFinite(low) || !Double.isFinite(high)) {
        throw new IllegalArgumentException("uniform needs finite low < high, got [" + low + ", " + high + "]");
      }
    }

    @Override
    public JsonNode decode(double u) {
      return DoubleNode.valueOf(low + clamp(u) * (high - low));
    }

    @Override
    public List<Double> grid(int points) {
      return spaced(points);
    }
  }

  /** A real whose logarithm is uniform in [log low, log high] (learning rates, weight decays). */
  record LogUniform(double low, double high) implements Param {
    /** Checks the bounds. */
    public LogUniform {
      if (!(low > 0 && low < high) || !Double.isFinite(high)) {
        throw new IllegalArgumentException("log_uniform needs 0 < low < high, got [" + low + ", " + high + "]");
      }
    }

    @Override
    public JsonNode decode(double u) {
      return DoubleNode.valueOf(Math.exp(Math.log(low) + clamp(u) * (Math.log(high) - Math.log(low))));
    }

    @Override
    public List<Double> grid(int points) {
      return spaced(points);
    }
  }

  /**
   * An integer in [low, high]; with {@code log}, its logarithm is uniform (ranks 4..64) and the
   * value is the rounded exponential.
   */
  record IntRange(long low, long high, boolean log) implements Param {
    /** Checks the bounds. */
    public IntRange {
      if (low > high || (log && low <= 0)) {
        throw new IllegalArgumentException("int needs low <= high" + (log ? " and low > 0 for log" : "")
            + ", got [" + low + ", " + high + "]");
      }
    }

    @Override
    public JsonNode decode(double u) {
      if (log) {
        double v = Math.exp(Math.log(low) + clamp(u) * (Math.log(high) - Math.log(low)));
        return LongNode.valueOf(Math.max(low, Math.min(high, Math.round(v))));
      }
      long n = high - low + 1;
      return LongNode.valueOf(low + Math.min(n - 1, (long) Math.floor(clamp(u) * n)));
    }

    @Override
    public List<Double> grid(int points) {
      long n = high - low + 1;
      if (!log && n <= points) {
        List<Double> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
          out.add((i + 0.5) / n);
        }
        return out;
      }
      // distinct values only (a log range rounds neighbours together)
      List<Double> out = new ArrayList<>();
      List<JsonNode> seen = new ArrayList<>();
      for (double u : spaced(points)) {
        JsonNode v = decode(u);
        if (!seen.contains(v)) {
          seen.add(v);
          out.add(u);
        }
      }
      return out;
    }
  }

  /** One of a list of values (strings, numbers or booleans, as YAML wrote them). */
  record Categorical(List<JsonNode> choices) implements Param {
    /** Copies the list; at least one choice. */
    public Categorical {
      if (choices.isEmpty()) {
        throw new IllegalArgumentException("categorical needs at least one choice");
      }
      choices = List.copyOf(choices);
    }

    @Override
    public JsonNode decode(double u) {
      int k = choices.size();
      return choices.get(Math.min(k - 1, (int) Math.floor(clamp(u) * k)));
    }

    @Override
    public List<Double> grid(int points) {
      List<Double> out = new ArrayList<>();
      for (int i = 0; i < choices.size(); i++) {
        out.add((i + 0.5) / choices.size());
      }
      return out;
    }
  }

  private static double clamp(double u) {
    return Math.max(0, Math.min(1, u));
  }

  /** {@code points} evenly spaced values from 0 to 1 inclusive (the midpoint for one). */
  private static List<Double> spaced(int points) {
    if (points < 1) {
      throw new IllegalArgumentException("grid points must be >= 1, got " + points);
    }
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < points; i++) {
      out.add(points == 1 ? 0.5 : (double) i / (points - 1));
    }
    return out;
  }
}
