package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.train.PairObjective;
import java.util.List;
import java.util.Map;

/**
 * DPO (and every loss of its family, ORPO and SimPO) on the shared engine: chosen and rejected in one
 * forward ({@code [chosen; rejected]}, right-padded as TRL's collator), per-sequence summed completion
 * log-probs, the reference's from the batch (precomputed cache) or computed live without gradients,
 * and the loss summed over pairs (the engine divides by the effective batch's pairs: TRL's mean).
 * Metrics carry TRL's names. One forward's hidden states give the loss, so activation checkpointing
 * works too.
 */
public final class DpoObjective implements PairObjective<DpoPair, DpoBatch> {
  private final DpoCollator collator;
  private final PairLoss loss;
  private final Reference reference;

  /**
   * @param reference computes reference log-probs live for batches without cached ones; null when
   *     every pair carries them (precomputed) or the loss needs none
   */
  public DpoObjective(DpoCollator collator, PairLoss loss, Reference reference) {
    this.collator = collator;
    this.loss = loss;
    this.reference = reference;
  }

  /** The collator (shared with the reference precompute, so both see the same rows). */
  public DpoCollator collator() {
    return collator;
  }

  @Override
  public DpoBatch collate(NDManager manager, List<DpoPair> examples) {
    return collator.collate(manager, examples);
  }

  @Override
  public Loss lossFromHidden(CausalLM model, DpoBatch batch, NDArray hidden) {
    NDArray logits = model.logits(hidden);                                      // [2B, T, V]
    CompletionLogps lp = CompletionLogps.of(logits, batch);
    int b = batch.pairs();
    double[] ref = null;
    if (loss.needsReference()) {
      ref = batch.ref() != null ? batch.ref() : live(model, batch);
    }
    NDManager m = logits.getManager();
    NDArray sums = lp.sums();                                                   // [2B]
    NDArray refChosen = null;
    NDArray refRejected = null;
    if (ref != null) {
      NDArray r = m.create(ref).toType(sums.getDataType(), false);               // [2B], no gradient
      refChosen = r.get("0:" + b);
      refRejected = r.get(b + ":");
    }
    PairLoss.Output out = loss.apply(new PairLoss.Inputs(sums.get("0:" + b), sums.get(b + ":"), refChosen, refRejected,
        lp, logits, batch));
    return new Loss(out.sum(), DpoMetrics.of(m, out.logs(), logits, batch));
  }

  private double[] live(CausalLM model, DpoBatch batch) {
    if (reference == null) {
      throw new IllegalStateException("no reference log-probs: the batch carries none (precompute_ref_log_probs) and"
          + " no live reference was given");
    }
    return reference.logps(model, batch);
  }
}
