package dev.align4j.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.train.PairObjective;
import java.util.List;

/**
 * Reward-model training on the shared engine: chosen and rejected in ONE forward (the batch is
 * {@code [chosen_1..chosen_B; rejected_1..rejected_B]}, right-padded, as TRL's {@code
 * DataCollatorForPreference}), each row scored by {@code head} at its last non-pad token
 * (transformers' rule), then {@link BradleyTerry}. Normalised by pairs, so accumulation is exact;
 * a function of one forward's final hidden states, so activation checkpointing applies.
 *
 * @param head the score head that trains with the model (a LoRA adapter's, or a standalone one)
 * @param padId the id that pads rows and that pooling skips ({@code config.pad_token_id})
 * @param loss the pairwise loss
 */
public record RewardObjective(ScoreHead head, long padId, BradleyTerry loss)
    implements PairObjective<RewardPair, RewardObjective.Batch> {

  /**
   * A collated micro-batch.
   *
   * @param input {@code [2B, T]}: chosen rows, then rejected rows
   * @param margins per-pair margins (host), or {@code null} when every margin is 0
   */
  public record Batch(ModelInput input, double[] margins, int pairs) implements PairObjective.Batch {}

  /** Validates. */
  public RewardObjective {
    if (head.numLabels() != 1) {
      throw new IllegalArgumentException("a reward model's score head has 1 output, got " + head.numLabels());
    }
  }

  @Override
  public Batch collate(NDManager manager, List<RewardPair> examples) {
    int b = examples.size();
    long[][] rows = new long[2 * b][];
    double[] margins = new double[b];
    boolean anyMargin = false;
    for (int i = 0; i < b; i++) {
      RewardPair p = examples.get(i);
      rows[i] = p.chosen();
      rows[b + i] = p.rejected();
      margins[i] = p.margin();
      anyMargin |= p.margin() != 0;
    }
    return new Batch(ModelInput.padded(manager, rows, padId, false), anyMargin ? margins : null, b);
  }

  @Override
  public Loss lossFromHidden(CausalLM model, Batch batch, NDArray hidden) {
    NDArray r = rewards(batch, hidden);                                               // [2B]
    int b = batch.pairs();
    NDArray chosen = r.get("0:" + b);                                                 // [B]
    NDArray rejected = r.get(b + ":");                                                // [B]
    NDArray margin = batch.margins() == null ? null
        : r.getManager().create(batch.margins(), new Shape(b)).toType(r.getDataType(), false);
    return loss.loss(chosen, rejected, margin);
  }

  /** Rewards {@code [2B]} of a batch's rows from the final hidden states {@code [2B, T, H]}. */
  NDArray rewards(Batch batch, NDArray hidden) {
    NDArray perToken = head.forward(hidden);                                          // [2B, T, 1]
    return head.sequenceScores(perToken, batch.input().inputIds(), padId).squeeze(1); // [2B]
  }
}
