package dev.align4j.peft.search;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The searched keys in order; a point of the unit cube {@code [0, 1]^d} decodes to one value per key. */
public record SearchSpace(Map<String, Param> params) {
  /** Keeps the order; at least one key. */
  public SearchSpace {
    if (params.isEmpty()) {
      throw new IllegalArgumentException("the search space needs at least one key");
    }
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }

  /** The number of dimensions. */
  public int dims() {
    return params.size();
  }

  /** The key names in order. */
  public List<String> names() {
    return List.copyOf(params.keySet());
  }

  /** The recipe values at {@code point}, in key order. */
  public Map<String, JsonNode> decode(double[] point) {
    if (point.length != dims()) {
      throw new IllegalArgumentException("point has " + point.length + " coordinates, the space " + dims());
    }
    Map<String, JsonNode> out = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, Param> e : params.entrySet()) {
      out.put(e.getKey(), e.getValue().decode(point[i++]));
    }
    return out;
  }

  /** The grid: every combination of each key's grid values, the last key varying fastest. */
  public List<double[]> grid(int points) {
    List<List<Double>> axes = new ArrayList<>();
    params.values().forEach(p -> axes.add(p.grid(points)));
    List<double[]> out = new ArrayList<>();
    int[] idx = new int[axes.size()];
    while (true) {
      double[] x = new double[axes.size()];
      for (int d = 0; d < x.length; d++) {
        x[d] = axes.get(d).get(idx[d]);
      }
      out.add(x);
      int d = axes.size() - 1;
      while (d >= 0 && ++idx[d] == axes.get(d).size()) {
        idx[d] = 0;
        d--;
      }
      if (d < 0) {
        return out;
      }
    }
  }
}
