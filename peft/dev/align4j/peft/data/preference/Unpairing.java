package dev.align4j.peft.data.preference;

import java.util.ArrayList;
import java.util.List;

/**
 * TRL's {@code unpair_preference_dataset} as {@code KTOTrainer} applies it: each pair gives a desirable
 * example (chosen, label true) and an undesirable one (rejected, label false) with the same prompt and
 * extras. The order is TRL's: {@code datasets.map(batched=True)} works on batches of 1,000 rows and
 * emits a batch's chosen examples, then its rejected ones.
 */
public final class Unpairing {
  /** The batch size of {@code datasets.Dataset.map(batched=True)}, which fixes TRL's order. */
  public static final int TRL_MAP_BATCH = 1000;

  private Unpairing() {
  }

  /** The unpaired examples in TRL's order (batches of {@link #TRL_MAP_BATCH}). */
  public static List<UnpairedExample> unpair(List<PreferencePair> pairs) {
    return unpair(pairs, TRL_MAP_BATCH);
  }

  /** The unpaired examples, chosen then rejected within each batch of {@code batchSize} pairs. */
  public static List<UnpairedExample> unpair(List<PreferencePair> pairs, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1: " + batchSize);
    }
    List<UnpairedExample> out = new ArrayList<>(2 * pairs.size());
    for (int start = 0; start < pairs.size(); start += batchSize) {
      List<PreferencePair> batch = pairs.subList(start, Math.min(pairs.size(), start + batchSize));
      for (PreferencePair p : batch) {
        out.add(new UnpairedExample(p.file(), p.line(), p.prompt(), p.chosen(), true, p.extras()));
      }
      for (PreferencePair p : batch) {
        out.add(new UnpairedExample(p.file(), p.line(), p.prompt(), p.rejected(), false, p.extras()));
      }
    }
    return out;
  }
}
