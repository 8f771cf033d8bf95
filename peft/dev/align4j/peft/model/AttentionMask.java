package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Builds the additive attention mask {@code [B, 1, T, S]} from causality and key padding.
 *
 * <p>Query {@code t} of the current chunk sits at cache slot {@code past + t}; it may see key slot
 * {@code s} when {@code s <= past + t} and the key is a real token. Masked entries get a large finite
 * negative, not {@code -inf}, so a query row that sees nothing (a left-pad query) yields a uniform
 * softmax instead of NaN; such rows are padding and never reach a loss.
 */
public final class AttentionMask {
  /** The additive value of a masked score. */
  public static final float MASKED = -1e9f;

  private AttentionMask() {}

  /**
   * @param manager where the mask lives
   * @param keyMask {@code [B, S]} with 1 for real tokens, 0 for padding; {@code null} means all real
   * @param batch B
   * @param queryLen T
   * @param past cache length before this chunk; S = past + T
   * @return float32 {@code [B, 1, T, S]}
   */
  public static NDArray causal(NDManager manager, long[] keyMask, int batch, int queryLen, int past) {
    return causal(manager, keyMask, null, batch, queryLen, past);
  }

  /**
   * As {@link #causal(NDManager, long[], int, int, int)}, and with {@code segments} ({@code [B, T]},
   * no cache) a packed row's examples see only themselves: the mask is block-diagonal.
   */
  public static NDArray causal(NDManager manager, long[] keyMask, int[] segments, int batch, int queryLen, int past) {
    return causal(manager, keyMask, segments, batch, queryLen, past, 0);
  }

  /**
   * As {@link #causal(NDManager, long[], int[], int, int, int)}, and with {@code window > 0} a query
   * sees only the last {@code window} slots up to itself ({@code s > past + t - window}, transformers'
   * {@code sliding_window_overlay} on cache positions).
   */
  public static NDArray causal(
      NDManager manager, long[] keyMask, int[] segments, int batch, int queryLen, int past, int window) {
    if (segments != null && past != 0) {
      throw new IllegalArgumentException("packed rows cannot be combined with a KV cache");
    }
    int keyLen = past + queryLen;
    if (keyMask != null && keyMask.length != (long) batch * keyLen) {
      throw new IllegalArgumentException(
          "attention mask has " + keyMask.length + " entries, expected " + batch + " x " + keyLen);
    }
    float[] m = new float[batch * queryLen * keyLen];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < queryLen; t++) {
        int row = (b * queryLen + t) * keyLen;
        for (int s = 0; s < keyLen; s++) {
          boolean visible = s <= past + t && (window <= 0 || s > past + t - window)
              && (keyMask == null || keyMask[b * keyLen + s] != 0)
              && (segments == null || segments[b * queryLen + s] == segments[b * queryLen + t]);
          m[row + s] = visible ? 0f : MASKED;
        }
      }
    }
    return manager.create(m, new Shape(batch, 1, queryLen, keyLen));
  }
}
