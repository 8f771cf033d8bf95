package dev.align4j.rl.rollout;

import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.reward.RewardModel;
import dev.align4j.reward.RewardStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model as a {@link Scorer}, on the policy's own base: its PEFT {@code SEQ_CLS} adapter is
 * loaded as one more adapter with its {@code score} head, and prompt + completion is scored at the
 * last non-pad token under that adapter alone (no second copy of the base). With {@code normalize},
 * scores become {@code (r - mean) / std} with the statistics the reward stage stored (OpenRLHF's
 * {@code reward.normalize_enable}).
 */
public final class RewardModelScorer implements Scorer {
  private final RewardModel rm;
  private final RewardStats stats;
  private final int batchSize;

  private RewardModelScorer(RewardModel rm, RewardStats stats, int batchSize) {
    this.rm = rm;
    this.stats = stats;
    this.batchSize = batchSize;
  }

  /**
   * Loads the adapter in {@code dir} onto {@code peft} as adapter {@code name}. Call before choosing the
   * trainable adapters (loading makes the new adapter the active one).
   */
  public static RewardModelScorer load(PeftModel peft, Path dir, String name, long padId, boolean normalize,
      int batchSize) throws IOException {
    if (!Files.exists(dir.resolve("adapter_config.json"))) {
      throw new IllegalArgumentException("reward_model " + dir + ": expected a PEFT SEQ_CLS adapter (adapter_config.json)"
          + " trained on the same base, so that it shares the policy's base model in memory");
    }
    RewardModel rm = RewardModel.loadAdapter(peft, dir, name, padId);
    RewardStats stats = null;
    if (normalize) {
      stats = rm.storedStats().orElseThrow(() -> new IllegalArgumentException("normalize_reward: " + dir
          + " stores no reward statistics (align4j rm writes them)"));
    }
    return new RewardModelScorer(rm, stats, batchSize);
  }

  @Override
  public double[] score(List<Sample> samples) {
    List<long[]> seqs = new ArrayList<>();
    for (Sample s : samples) {
      long[] p = s.prompt().ids();
      long[] c = s.completionIds();
      long[] ids = new long[p.length + c.length];
      System.arraycopy(p, 0, ids, 0, p.length);
      System.arraycopy(c, 0, ids, p.length, c.length);
      seqs.add(ids);
    }
    double[] r = rm.score(seqs, batchSize);
    if (stats != null) {
      for (int i = 0; i < r.length; i++) {
        r[i] = stats.normalize(r[i]);
      }
    }
    return r;
  }
}
