package dev.align4j.peft.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Packs several examples into rows of at most {@code maxLen} tokens, in order (greedy). Each token
 * records which example it belongs to; the model then sees a block-diagonal causal mask and position
 * ids restarting at 0 per example, so examples never attend to each other and the loss of a packed
 * row equals the summed losses of its examples unpacked. An example's first token is never a target
 * (it is not predicted by the previous example's last token).
 */
public final class Packing {
  private Packing() {}

  /** Rows of packed examples; an example longer than {@code maxLen} gets a row of its own, cut. */
  public static List<TrainingExample> pack(List<TrainingExample> examples, int maxLen) {
    List<TrainingExample> rows = new ArrayList<>();
    List<TrainingExample> cur = new ArrayList<>();
    int len = 0;
    for (TrainingExample e : examples) {
      int n = Math.min(e.ids().length, maxLen);
      if (!cur.isEmpty() && len + n > maxLen) {
        rows.add(row(cur, maxLen));
        cur = new ArrayList<>();
        len = 0;
      }
      cur.add(e);
      len += n;
    }
    if (!cur.isEmpty()) {
      rows.add(row(cur, maxLen));
    }
    return rows;
  }

  private static TrainingExample row(List<TrainingExample> parts, int maxLen) {
    int total = 0;
    for (TrainingExample e : parts) {
      total += Math.min(e.ids().length, maxLen);
    }
    long[] ids = new long[total];
    boolean[] targets = new boolean[total];
    int[] seg = new int[total];
    int at = 0;
    for (int k = 0; k < parts.size(); k++) {
      TrainingExample e = parts.get(k);
      int n = Math.min(e.ids().length, maxLen);
      System.arraycopy(e.ids(), 0, ids, at, n);
      System.arraycopy(e.targets(), 0, targets, at, n);
      targets[at] = false;
      for (int i = 0; i < n; i++) {
        seg[at + i] = k + 1;
      }
      at += n;
    }
    return new TrainingExample(ids, targets, seg);
  }
}
