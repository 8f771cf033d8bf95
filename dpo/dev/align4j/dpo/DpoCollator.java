package dev.align4j.dpo;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.ModelInput;
import java.util.Arrays;
import java.util.List;

/**
 * Collates {@link DpoPair}s exactly as TRL 1.13's {@code DataCollatorForPreference}: prompt+chosen
 * and prompt+rejected rows, each cut to {@code maxLength} by the truncation mode, batch {@code
 * [chosen; rejected]}, padded on the right.
 *
 * @param padId the pad token
 * @param maxLength longest row kept (0: no limit)
 * @param truncation which end a longer row keeps
 * @param ldAlpha LD-DPO's weight of the completion tokens past the shorter completion's length, or
 *     NaN for plain sums (TRL's {@code ld_alpha=None})
 */
public record DpoCollator(long padId, int maxLength, Truncation truncation, double ldAlpha) {
  /** Validates. */
  public DpoCollator {
    if (maxLength < 0) {
      throw new IllegalArgumentException("max_length must be >= 0 (0: no limit), got " + maxLength);
    }
    if (truncation == null) {
      throw new IllegalArgumentException("truncation mode is required");
    }
  }

  /** Plain sums, no length limit. */
  public static DpoCollator of(long padId) {
    return new DpoCollator(padId, 0, Truncation.KEEP_START, Double.NaN);
  }

  /** Rows and completion masks on {@code manager}. */
  public DpoBatch collate(NDManager manager, List<DpoPair> pairs) {
    int b = pairs.size();
    long[][] rows = new long[2 * b][];
    boolean[][] masks = new boolean[2 * b][];
    for (int i = 0; i < b; i++) {
      DpoPair p = pairs.get(i);
      fill(rows, masks, i, p.promptIds(), p.chosenIds());
      fill(rows, masks, b + i, p.promptIds(), p.rejectedIds());
    }
    int t = 0;
    long tokens = 0;
    for (long[] r : rows) {
      t = Math.max(t, r.length);
      tokens += r.length;
    }
    if (t < 2) {
      throw new IllegalArgumentException("every sequence of the batch has a single token: nothing to score");
    }
    int[] lengths = new int[2 * b];
    float[] mask = new float[2 * b * (t - 1)];
    float[] weights = new float[2 * b * (t - 1)];
    for (int r = 0; r < 2 * b; r++) {
      for (int j = 0; j < masks[r].length; j++) {
        if (masks[r][j]) {
          lengths[r]++;
          if (j > 0) {
            mask[r * (t - 1) + j - 1] = 1;
          }
        }
      }
    }
    for (int i = 0; i < b; i++) {
      for (int side = 0; side < 2; side++) {
        int r = side * b + i;
        // LD-DPO: completion positions counted over the shifted mask, as TRL's cumsum does
        int shifted = 0;
        int[] ls = {count(mask, i, t), count(mask, b + i, t)};
        int shared = Math.min(ls[0], ls[1]);
        for (int j = 0; j < t - 1; j++) {
          float m = mask[r * (t - 1) + j];
          if (m == 0) {
            continue;
          }
          shifted++;
          weights[r * (t - 1) + j] = Double.isNaN(ldAlpha) || shifted <= shared ? 1f : (float) ldAlpha;
        }
      }
    }
    double[] ref = null;
    if (pairs.stream().allMatch(p -> p.ref() != null)) {
      ref = new double[2 * b];
      for (int i = 0; i < b; i++) {
        ref[i] = pairs.get(i).ref().chosen();
        ref[b + i] = pairs.get(i).ref().rejected();
      }
    }
    ModelInput in = ModelInput.padded(manager, rows, padId, false);
    return new DpoBatch(in, manager.create(mask, new Shape(2 * b, t - 1)), manager.create(weights, new Shape(2 * b, t - 1)),
        lengths, ref, b, tokens);
  }

  private static int count(float[] mask, int row, int t) {
    int n = 0;
    for (int j = 0; j < t - 1; j++) {
      n += mask[row * (t - 1) + j] != 0 ? 1 : 0;
    }
    return n;
  }

  private void fill(long[][] rows, boolean[][] masks, int r, long[] prompt, long[] completion) {
    int n = prompt.length + completion.length;
    long[] ids = new long[n];
    boolean[] m = new boolean[n];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    for (int j = prompt.length; j < n; j++) {
      m[j] = true;
    }
    if (maxLength > 0 && n > maxLength) {
      int from = truncation == Truncation.KEEP_START ? 0 : n - maxLength;
      ids = Arrays.copyOfRange(ids, from, from + maxLength);
      m = Arrays.copyOfRange(m, from, from + maxLength);
    }
    rows[r] = ids;
    masks[r] = m;
  }
}
