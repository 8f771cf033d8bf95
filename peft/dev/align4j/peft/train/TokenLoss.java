package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.List;

/**
 * Next-token cross-entropy summed over target tokens: the numerator of a loss whose denominator is
 * the target count of the whole effective batch. Dividing every micro-batch by that one count makes
 * gradient accumulation exact by construction: 1 x 8 gives the same gradient as 8 x 1.
 */
public final class TokenLoss {
  private TokenLoss() {}

  /**
   * A right-padded batch: ids {@code [B, T]} and target weights {@code [B, T-1]} (1 where token t+1 is
   * a target).
   */
  public record Batch(ModelInput input, NDArray weights, long targetCount) {}

  /** Collates examples into one right-padded batch on {@code manager}. */
  public static Batch collate(NDManager manager, List<TrainingExample> examples, long padId) {
    int b = examples.size();
    int t = 0;
    for (TrainingExample e : examples) {
      t = Math.max(t, e.ids().length);
    }
    if (t < 2) {
      throw new IllegalArgumentException("a training batch needs sequences of at least 2 tokens");
    }
    long[][] rows = new long[b][];
    float[] w = new float[b * (t - 1)];
    long count = 0;
    for (int i = 0; i < b; i++) {
      TrainingExample e = examples.get(i);
      rows[i] = e.ids();
      for (int j = 1; j < e.ids().length; j++) {
        if (e.targets()[j]) {
          w[i * (t - 1) + j - 1] = 1;
          count++;
        }
      }
    }
    ModelInput in = ModelInput.padded(manager, rows, padId, false);
    if (examples.stream().anyMatch(e -> e.segments() != null)) {
      in = packed(manager, in, examples, t);
    }
    return new Batch(in, manager.create(w, new Shape(b, t - 1)), count);
  }

  /** Adds segment ids and per-example positions (restarting at 0) to a right-padded batch. */
  private static ModelInput packed(NDManager manager, ModelInput in, List<TrainingExample> examples, int t) {
    int b = examples.size();
    int[] seg = new int[b * t];
    long[] pos = new long[b * t];
    for (int i = 0; i < b; i++) {
      TrainingExample e = examples.get(i);
      int p = 0;
      for (int j = 0; j < e.ids().length; j++) {
        int s = e.segments() == null ? 1 : e.segments()[j];
        if (j > 0 && s != seg[i * t + j - 1]) {
          p = 0;
        }
        seg[i * t + j] = s;
        pos[i * t + j] = p++;
      }
    }
    return new ModelInput(in.inputIds(), in.attentionMask(), manager.create(pos, new Shape(b, t)), seg);
  }

  /** Sum of {@code -log p(target)} over the batch's targets: a scalar in the logits' dtype. */
  public static NDArray sumNll(CausalLM model, Batch batch) {
    return sumNllFromHidden(model, model.hiddenStates(batch.input(), null), batch);
  }

  /**
   * {@link #sumNll} from final hidden states ({@code [B, T, H]}); the output head's logits are formed
   * a chunk of positions at a time (see {@link CausalLM#nextTokenNllSum}).
   */
  public static NDArray sumNllFromHidden(CausalLM model, NDArray hidden, Batch batch) {
    return model.nextTokenNllSum(hidden, batch.input().inputIds(), batch.weights());
  }

  /** {@link #sumNll} from logits already computed ({@code [B, T, V]}). */
  public static NDArray sumNllFromLogits(NDArray logits, Batch batch) {
    NDArray pred = logits.get(":, :-1, :");                                   // [B, T-1, V]
    NDArray labels = batch.input().inputIds().get(":, 1:");                   // [B, T-1]
    NDArray nll = CausalLM.tokenLogProbs(pred, labels).neg();                 // [B, T-1]
    NDArray w = batch.weights().getDataType() == nll.getDataType()
        ? batch.weights() : batch.weights().toType(nll.getDataType(), false);
    return nll.mul(w).sum();
  }

  /** Target tokens of several micro-batches: the shared denominator. */
  public static long totalTargets(List<List<TrainingExample>> microBatches) {
    long n = 0;
    for (List<TrainingExample> mb : microBatches) {
      for (TrainingExample e : mb) {
        n += e.targetCount();
      }
    }
    return n;
  }

}
