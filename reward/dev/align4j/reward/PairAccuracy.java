package dev.align4j.reward;

import dev.align4j.peft.data.preference.RewardEncoding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How well a reward model ranks held-out pairs: the share where {@code r(chosen) > r(rejected)}, the
 * mean margin {@code r(chosen) - r(rejected)} and the mean Bradley-Terry loss (with the pairs' margins),
 * overall and per group (a string field of the records, such as the incident demo's {@code kind}).
 *
 * @param pairs pairs scored
 * @param accuracy share ranked right
 * @param margin mean {@code r(chosen) - r(rejected)}
 * @param loss mean {@code -log sigmoid(r(chosen) - r(rejected) - margin)}
 * @param groups per value of the group field (sorted), when one was given
 */
public record PairAccuracy(long pairs, double accuracy, double margin, double loss, Map<String, Group> groups) {
  /** Pairs and pairs ranked right in one group. */
  public record Group(long pairs, long correct) {
    /** {@code correct / pairs}. */
    public double accuracy() {
      return pairs == 0 ? Double.NaN : (double) correct / pairs;
    }
  }

  /** Copies the map. */
  public PairAccuracy {
    groups = java.util.Collections.unmodifiableMap(new TreeMap<>(groups));
  }

  /**
   * Scores both sides of every pair with {@code rm} ({@code batchSize} sequences per forward).
   *
   * @param groupField a field of the source records to group by ({@link
   *     dev.align4j.peft.data.preference.PreferencePair#extras()}), or null
   */
  public static PairAccuracy of(RewardModel rm, List<RewardEncoding> encodings, String groupField, int batchSize) {
    List<long[]> seqs = new ArrayList<>(2 * encodings.size());
    encodings.forEach(e -> seqs.add(e.chosenIds()));
    encodings.forEach(e -> seqs.add(e.rejectedIds()));
    double[] r = rm.score(seqs, batchSize);
    int n = encodings.size();
    long correct = 0;
    double margin = 0;
    double loss = 0;
    TreeMap<String, long[]> groups = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      double d = r[i] - r[n + i];
      double x = d - encodings.get(i).source().margin().orElse(0);
      boolean right = d > 0;
      correct += right ? 1 : 0;
      margin += d;
      loss += Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
      if (groupField != null) {
        String g = encodings.get(i).source().extras().getOrDefault(groupField, "(none)");
        long[] c = groups.computeIfAbsent(g, k -> new long[2]);
        c[0]++;
        c[1] += right ? 1 : 0;
      }
    }
    TreeMap<String, Group> out = new TreeMap<>();
    groups.forEach((k, c) -> out.put(k, new Group(c[0], c[1])));
    return new PairAccuracy(n, n == 0 ? Double.NaN : (double) correct / n, n == 0 ? Double.NaN : margin / n,
        n == 0 ? Double.NaN : loss / n, out);
  }
}
