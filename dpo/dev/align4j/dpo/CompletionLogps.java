package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.model.CausalLM;

/**
 * Per-token and per-sequence completion log-probs of a {@link DpoBatch}, as TRL's {@code
 * _compute_loss}: {@code selective_log_softmax(logits[:, :-1], ids[:, 1:])}, zero outside the
 * completion, summed over the sequence (LD-DPO's weights applied).
 *
 * @param perToken {@code [2B, T-1]} log-prob of each completion token, 0 elsewhere
 * @param sums {@code [2B]} weighted sums (chosen rows first)
 */
public record CompletionLogps(NDArray perToken, NDArray sums) {
  /** From next-token logits {@code [2B, T, V]} (float32/float64). */
  public static CompletionLogps of(NDArray logits, DpoBatch batch) {
    NDArray pred = logits.get(":, :-1, :");                                     // [2B, T-1, V]
    NDArray labels = batch.input().inputIds().get(":, 1:");                     // [2B, T-1]
    NDArray logp = CausalLM.tokenLogProbs(pred, labels);                        // [2B, T-1]
    NDArray mask = like(batch.completionMask(), logp);
    NDArray w = like(batch.logpWeights(), logp);
    NDArray perToken = logp.mul(mask);                                          // [2B, T-1]
    return new CompletionLogps(perToken, perToken.mul(w).sum(new int[] {1}));   // [2B]
  }

  /** {@code x} in {@code ref}'s dtype. */
  static NDArray like(NDArray x, NDArray ref) {
    return x.getDataType() == ref.getDataType() ? x : x.toType(ref.getDataType(), false);
  }
}
