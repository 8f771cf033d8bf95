package dev.align4j.dpo;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.ModelInput;
import java.util.Arrays;

/**
 * Prompt+completion rows collated as TRL's preference collators do: each row cut to {@code maxLength}
 * keeping its start, padded on the right, with the shifted completion mask.
 */
final class SequenceRows {
  private SequenceRows() {}

  /** Rows, masks ({@code [N, T-1]}) and completion lengths of {@code prompts[i] + completions[i]}. */
  static DpoBatch collate(NDManager manager, long[][] prompts, long[][] completions, long padId, int maxLength,
      int pairs) {
    int n = prompts.length;
    long[][] rows = new long[n][];
    int[] lengths = new int[n];
    int[] promptLen = new int[n];
    int t = 0;
    long tokens = 0;
    for (int r = 0; r < n; r++) {
      long[] ids = new long[prompts[r].length + completions[r].length];
      System.arraycopy(prompts[r], 0, ids, 0, prompts[r].length);
      System.arraycopy(completions[r], 0, ids, prompts[r].length, completions[r].length);
      if (maxLength > 0 && ids.length > maxLength) {
        ids = Arrays.copyOf(ids, maxLength);
      }
      rows[r] = ids;
      promptLen[r] = Math.min(prompts[r].length, ids.length);
      lengths[r] = ids.length - promptLen[r];
      t = Math.max(t, ids.length);
      tokens += ids.length;
    }
    if (t < 2) {
      throw new IllegalArgumentException("every sequence of the batch has a single token: nothing to score");
    }
    float[] mask = new float[n * (t - 1)];
    for (int r = 0; r < n; r++) {
      for (int j = Math.max(promptLen[r], 1); j < rows[r].length; j++) {
        mask[r * (t - 1) + j - 1] = 1;
      }
    }
    ModelInput in = ModelInput.padded(manager, rows, padId, false);
    var m = manager.create(mask, new Shape(n, t - 1));
    return new DpoBatch(in, m, m, lengths, null, pairs, tokens);
  }
}
