package dev.align4j.peft.train;

/**
 * One tokenised training sequence.
 *
 * @param ids token ids
 * @param targets {@code targets[t]} says whether token {@code t} is trained on, i.e. predicted from
 *     {@code ids[0..t-1]}; {@code targets[0]} is ignored (nothing predicts the first token)
 * @param segments for a packed row, the example number (1, 2, ...) of each token; null otherwise
 */
public record TrainingExample(long[] ids, boolean[] targets, int[] segments) {
  /** Checks lengths. */
  public TrainingExample {
    if (ids.length == 0) {
      throw new IllegalArgumentException("empty training example");
    }
    if (targets.length != ids.length) {
      throw new IllegalArgumentException(
          "targets length " + targets.length + " != ids length " + ids.length);
    }
    if (segments != null && segments.length != ids.length) {
      throw new IllegalArgumentException("segments length " + segments.length + " != ids length " + ids.length);
    }
  }

  /** An unpacked example. */
  public TrainingExample(long[] ids, boolean[] targets) {
    this(ids, targets, null);
  }

  /** Every token after the first is a target (plain language modelling). */
  public static TrainingExample allTokens(long[] ids) {
    boolean[] t = new boolean[ids.length];
    java.util.Arrays.fill(t, 1, t.length, true);
    return new TrainingExample(ids, t);
  }

  /** How many tokens are trained on. */
  public int targetCount() {
    int n = 0;
    for (int i = 1; i < targets.length; i++) {
      n += targets[i] ? 1 : 0;
    }
    return n;
  }
}
