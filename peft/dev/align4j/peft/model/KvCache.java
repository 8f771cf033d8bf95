package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of past tokens, per decoder layer, so that generation computes each token once.
 *
 * <p>Each layer holds {@code k, v: [B, K, S, D]} (after RoPE). The cache owns its arrays through its
 * own manager; close it to free them.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int length;

  /** An empty cache for a model with {@code numLayers} layers; its arrays live under {@code parent}. */
  public KvCache(NDManager parent, int numLayers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[numLayers];
    this.values = new NDArray[numLayers];
  }

  /** Cached positions per row (S before the current chunk). */
  public int length() {
    return length;
  }

  /**
   * Appends this chunk's {@code k, v [B, K, T, D]} to layer {@code i} and returns the full {@code
   * [B, K, S, D]} pair.
   */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray nk = keys[layer] == null ? k : keys[layer].concat(k, 2);
    NDArray nv = values[layer] == null ? v : values[layer].concat(v, 2);
    nk.attach(manager);
    nv.attach(manager);
    if (keys[layer] != null && keys[layer] != nk) {
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = nk;
    values[layer] = nv;
    return new NDArray[] {nk, nv};
  }

  /** Layer {@code i}'s cached keys {@code [B, K, S, D]} (null before the first chunk). */
  public NDArray keys(int layer) {
    return keys[layer];
  }

  /** Layer {@code i}'s cached values {@code [B, K, S, D]} (null before the first chunk). */
  public NDArray values(int layer) {
    return values[layer];
  }

  /** Called by the model after all layers saw a chunk of {@code t} tokens. */
  void advance(int t) {
    length += t;
  }

  @Override
  public void close() {
    manager.close();
  }
}
