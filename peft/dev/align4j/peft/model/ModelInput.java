package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One forward's input.
 *
 * @param inputIds token ids {@code [B, T]}, int64
 * @param attentionMask {@code [B, S]} row-major, 1 for real tokens and 0 for padding, over cached
 *     plus current positions; {@code null} when nothing is padded
 * @param positionIds {@code [B, T]} int64, or {@code null} for {@code past .. past+T-1}
 * @param segmentIds {@code [B, T]} row-major example number of each token in a packed row (tokens
 *     attend only within their own example), or {@code null} when rows are not packed
 */
public record ModelInput(NDArray inputIds, long[] attentionMask, NDArray positionIds, int[] segmentIds) {

  /** Checks ranks and dtypes. */
  public ModelInput {
    if (inputIds.getShape().dimension() != 2) {
      throw new IllegalArgumentException("input_ids must be [B, T], got " + inputIds.getShape());
    }
    if (inputIds.getDataType() != DataType.INT64) {
      throw new IllegalArgumentException("input_ids must be int64, got " + inputIds.getDataType());
    }
    if (positionIds != null && !positionIds.getShape().equals(inputIds.getShape())) {
      throw new IllegalArgumentException(
          "position_ids " + positionIds.getShape() + " must match input_ids " + inputIds.getShape());
    }
    if (segmentIds != null && segmentIds.length != inputIds.getShape().size()) {
      throw new IllegalArgumentException("segment ids must have one entry per token");
    }
  }

  /** Input without packing. */
  public ModelInput(NDArray inputIds, long[] attentionMask, NDArray positionIds) {
    this(inputIds, attentionMask, positionIds, null);
  }

  /** Unpadded input from host ids. */
  public static ModelInput of(NDManager manager, long[][] ids) {
    int b = ids.length;
    int t = ids[0].length;
    long[] flat = new long[b * t];
    for (int i = 0; i < b; i++) {
      if (ids[i].length != t) {
        throw new IllegalArgumentException("ragged batch: use ModelInput.padded");
      }
      System.arraycopy(ids[i], 0, flat, i * t, t);
    }
    return new ModelInput(manager.create(flat, new Shape(b, t)), null, null);
  }

  /**
   * A padded batch with position ids counted over real tokens only (as transformers does for
   * generation: {@code cumsum(mask) - 1}; pads get position 0), so a padded row computes
   * exactly what it would alone.
   *
   * @param leftPad pad on the left (generation) or the right (training)
   */
  public static ModelInput padded(NDManager manager, long[][] rows, long padId, boolean leftPad) {
    int b = rows.length;
    int t = 0;
    for (long[] r : rows) {
      t = Math.max(t, r.length);
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    long[] pos = new long[b * t];
    for (int i = 0; i < b; i++) {
      int len = rows[i].length;
      int offset = leftPad ? t - len : 0;
      for (int j = 0; j < t; j++) {
        int src = j - offset;
        boolean real = src >= 0 && src < len;
        ids[i * t + j] = real ? rows[i][src] : padId;
        mask[i * t + j] = real ? 1 : 0;
        pos[i * t + j] = real ? src : 0;
      }
    }
    return new ModelInput(
        manager.create(ids, new Shape(b, t)), mask, manager.create(pos, new Shape(b, t)));
  }

  /** Batch size B. */
  public int batch() {
    return (int) inputIds.getShape().get(0);
  }

  /** Chunk length T. */
  public int length() {
    return (int) inputIds.getShape().get(1);
  }
}
