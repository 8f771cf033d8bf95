package dev.align4j.peft.probe;

/** How one sequence's token hidden states {@code [T, H]} become one feature vector {@code [H]}. */
public enum Pooling {
  /** The mean over all tokens. */
  MEAN,
  /** The last token's state (what a causal model has read the whole input with). */
  LAST;

  /**
   * Pools row-major token states.
   *
   * @param states {@code [T * H]} (T rows of H), T > 0
   * @param hidden H
   */
  public double[] pool(double[] states, int hidden) {
    int t = states.length / hidden;
    if (t == 0 || states.length % hidden != 0) {
      throw new IllegalArgumentException("states of length " + states.length + " are not T > 0 rows of " + hidden);
    }
    double[] out = new double[hidden];
    if (this == LAST) {
      System.arraycopy(states, (t - 1) * hidden, out, 0, hidden);
      return out;
    }
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < hidden; j++) {
        out[j] += states[i * hidden + j];
      }
    }
    for (int j = 0; j < hidden; j++) {
      out[j] /= t;
    }
    return out;
  }

  /** By name, case-insensitive; an unknown name lists the valid ones. */
  public static Pooling parse(String name) {
    for (Pooling p : values()) {
      if (p.name().equalsIgnoreCase(name.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("pooling '" + name + "': expected mean or last");
  }
}
