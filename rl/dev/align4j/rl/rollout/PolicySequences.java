package dev.align4j.rl.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.Arrays;
import java.util.List;

/**
 * Prompt + completion rows as one forward: prompts left-padded to the longest prompt P, completions
 * right-padded to the longest completion T, positions counted over real tokens (a padded row computes
 * what it would alone). Position {@code P - 1 + t} predicts completion token {@code t}, so the
 * completion's log-probs and values are read from the slice {@code [P - 1, P + T - 1)}: the same layout
 * as TRL's {@code prompt_completion_ids} and the old PPO trainer's {@code context_length - 1 : -1}.
 *
 * @param input the forward's input {@code [B, P + T]}
 * @param completionIds completion tokens {@code [B, T]} int64 (pads are 0)
 * @param mask {@code [B, T]} float 1 on real completion tokens
 * @param promptWidth P
 * @param width T
 */
public record PolicySequences(ModelInput input, NDArray completionIds, NDArray mask, int promptWidth, int width) {

  /** Collates rows on {@code manager}. */
  public static PolicySequences of(NDManager manager, List<long[]> prompts, List<long[]> completions, long padId) {
    int b = prompts.size();
    if (completions.size() != b) {
      throw new IllegalArgumentException(b + " prompts but " + completions.size() + " completions");
    }
    int p = 0;
    int t = 1;
    for (int i = 0; i < b; i++) {
      if (prompts.get(i).length == 0) {
        throw new IllegalArgumentException("row " + i + ": empty prompt");
      }
      p = Math.max(p, prompts.get(i).length);
      t = Math.max(t, completions.get(i).length);
    }
    int l = p + t;
    long[] ids = new long[b * l];
    long[] attn = new long[b * l];
    long[] pos = new long[b * l];
    long[] comp = new long[b * t];
    float[] mask = new float[b * t];
    for (int i = 0; i < b; i++) {
      long[] pr = prompts.get(i);
      long[] co = completions.get(i);
      int off = p - pr.length;
      Arrays.fill(ids, i * l, (i + 1) * l, padId);
      for (int j = 0; j < pr.length; j++) {
        ids[i * l + off + j] = pr[j];
        attn[i * l + off + j] = 1;
        pos[i * l + off + j] = j;
      }
      for (int j = 0; j < co.length; j++) {
        ids[i * l + p + j] = co[j];
        attn[i * l + p + j] = 1;
        pos[i * l + p + j] = pr.length + j;
        comp[i * t + j] = co[j];
        mask[i * t + j] = 1;
      }
    }
    ModelInput in = new ModelInput(manager.create(ids, new Shape(b, l)), attn, manager.create(pos, new Shape(b, l)));
    return new PolicySequences(in, manager.create(comp, new Shape(b, t)), manager.create(mask, new Shape(b, t)), p, t);
  }

  /** Rows B. */
  public int batch() {
    return input.batch();
  }

  /** The final hidden states at the positions that predict completion tokens: {@code [B, T, H]}. */
  public NDArray completionHidden(NDArray hidden) {
    return hidden.get(":, " + (promptWidth - 1) + ":" + (promptWidth - 1 + width) + ", :");
  }

  /**
   * Next-token logits for the completion tokens, divided by the sampling temperature as TRL does
   * ({@code logits / temperature}): {@code [B, T, V]} float32 (float64).
   */
  public NDArray completionLogits(CausalLM model, NDArray hidden, double temperature) {
    NDArray logits = model.logits(completionHidden(hidden));                       // [B, T, V]
    return temperature == 1.0 ? logits : logits.div(Kernels.scalar(logits, temperature));
  }

  /** Log-prob of each completion token under {@code logits} {@code [B, T, V]}: {@code [B, T]}. */
  public NDArray tokenLogProbs(NDArray logits) {
    return CausalLM.tokenLogProbs(logits, completionIds);                          // [B, T]
  }

  /**
   * Log-probs of the completion tokens and, when asked, the entropies, from {@code logits / temperature}
   * computed a few rows at a time ({@link TokenStats}: no {@code [B, T, V]} array of the whole batch).
   */
  public TokenStats.Result tokenStats(CausalLM model, NDArray hidden, double temperature, boolean entropy) {
    return TokenStats.compute(model, completionHidden(hidden), completionIds, temperature, entropy,
        TokenStats.CHUNK_ELEMENTS);
  }

  /** The value head's output at the positions before each completion token: {@code [B, T]}. */
  public NDArray completionValues(ScoreHead head, NDArray hidden) {
    return head.forward(completionHidden(hidden)).squeeze(-1);                      // [B, T]
  }
}
