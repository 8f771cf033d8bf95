package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.align4j.peft.kernels.Kernels;

/**
 * Keys and values of past tokens, per decoder layer, so that generation computes each token once.
 *
 * <p>Each layer holds {@code k, v: [B, K, S, D]} (after RoPE). Two layouts:
 *
 * <ul>
 *   <li>growing ({@link #KvCache(NDManager, int)}): each chunk is concatenated to the past, which
 *       copies the whole cache; fine for a few chunks (training with a prefix);
 *   <li>preallocated ({@link #KvCache(NDManager, int, int)}): one {@code [B, K, capacity, D]} buffer
 *       per layer, each chunk written in place at its slots; a chunk that would overflow reallocates
 *       with double the capacity. Rows can be dropped ({@link #keepRows}) and the cache can carry the
 *       additive key-padding mask of its slots on the device ({@link #setPadding}).
 * </ul>
 *
 * <p>The cache owns its arrays through its own manager; close it to free them.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final boolean preallocated;
  private int capacity;
  private int length;
  private NDArray keyMask;     // float32 [B, 1, 1, capacity]: 0 for real slots, MASKED for padding

  /** An empty growing cache for a model with {@code numLayers} layers; its arrays live under {@code parent}. */
  public KvCache(NDManager parent, int numLayers) {
    this(parent, numLayers, 0, false);
  }

  /**
   * An empty preallocated cache with room for {@code capacity} positions per row (it grows when a
   * chunk does not fit).
   */
  public KvCache(NDManager parent, int numLayers, int capacity) {
    this(parent, numLayers, capacity, true);
    if (capacity < 1) {
      throw new IllegalArgumentException("KV cache capacity must be >= 1, got " + capacity);
    }
  }

  private KvCache(NDManager parent, int numLayers, int capacity, boolean preallocated) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[numLayers];
    this.values = new NDArray[numLayers];
    this.capacity = capacity;
    this.preallocated = preallocated;
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
    if (!preallocated) {
      return concatenate(layer, k, v);
    }
    int t = (int) k.getShape().get(2);
    int need = length + t;
    if (need > capacity) {
      growCapacity(Math.max(need, 2 * capacity));
    }
    if (keys[layer] == null || keys[layer].getShape().get(2) < capacity) {
      grow(layer, k, capacity);
    }
    write(keys[layer], k, length);
    write(values[layer], v, length);
    NDIndex used = new NDIndex(":, :, :{}, :", need);
    NDManager step = k.getManager();   // the views belong to the step, the buffers to the cache
    return new NDArray[] {keys[layer].get(step, used), values[layer].get(step, used)};   // [B, K, S, D]
  }

  /**
   * {@code buf[:, :, at:at+T, :] = x} in place: libtorch's {@code index_put_} with slices, which
   * copies from x (a native tensor). This is not DJL's {@code NDArray.set(Buffer)}, which points the
   * tensor at a Java buffer without copying. It passes no dtype, so bfloat16 is safe, and costs one
   * native call (the kernel bridge costs a hundred times more per call).
   */
  private static void write(NDArray buf, NDArray x, int at) {
    Shape s = x.getShape();
    JniUtils.indexSet((PtNDArray) buf, (PtNDArray) x, new long[] {0, 0, at, 0},
        new long[] {s.get(0), s.get(1), at + s.get(2), s.get(3)}, new long[] {1, 1, 1, 1});
  }

  private void growCapacity(int slots) {
    if (keyMask != null) {
      // the new slots will hold real tokens: visible
      Shape s = keyMask.getShape();
      NDArray grown = keyMask.concat(manager.zeros(new Shape(s.get(0), 1, 1, slots - s.get(3))), 3);
      keep(grown);
      keyMask.close();
      keyMask = grown;
    }
    capacity = slots;
  }

  private void grow(int layer, NDArray like, int slots) {
    Shape s = like.getShape();
    NDArray nk = Kernels.get().zeros(like, new Shape(s.get(0), s.get(1), slots, s.get(3)));
    NDArray nv = Kernels.get().zeros(like, nk.getShape());
    keep(nk, nv);
    if (keys[layer] != null) {
      try (NDManager scratch = manager.newSubManager()) {
        NDIndex used = new NDIndex(":, :, :{}, :", length);
        write(nk, keys[layer].get(scratch, used), 0);
        write(nv, values[layer].get(scratch, used), 0);
      }
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = nk;
    values[layer] = nv;
  }

  private NDArray[] concatenate(int layer, NDArray k, NDArray v) {
    NDArray nk = keys[layer] == null ? k : keys[layer].concat(k, 2);
    NDArray nv = values[layer] == null ? v : values[layer].concat(v, 2);
    keep(nk, nv);
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
    return keys[layer] == null || !preallocated ? keys[layer] : keys[layer].get(new NDIndex(":, :, :{}, :", length));
  }

  /** Layer {@code i}'s cached values {@code [B, K, S, D]} (null before the first chunk). */
  public NDArray values(int layer) {
    return values[layer] == null || !preallocated ? values[layer] : values[layer].get(new NDIndex(":, :, :{}, :", length));
  }

  /**
   * Records which of the first {@code mask.length / batch} slots hold padding ({@code mask} {@code
   * [B, L]} row-major, 1 real, 0 pad); every later slot is a real token. A decode step then takes its
   * additive mask from {@link #keyMask} on the device instead of building one on the host.
   */
  public void setPadding(long[] mask, int batch) {
    if (!preallocated) {
      throw new IllegalStateException("a padding mask needs a preallocated cache");
    }
    int l = mask.length / batch;
    if (l > capacity) {
      growCapacity(l);
    }
    int slots = capacity;
    float[] m = new float[batch * slots];
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < l; s++) {
        m[b * slots + s] = mask[b * l + s] != 0 ? 0f : AttentionMask.MASKED;
      }
    }
    if (keyMask != null) {
      keyMask.close();
    }
    keyMask = manager.create(m, new Shape(batch, 1, 1, slots));
  }

  /**
   * The additive float32 mask {@code [B, 1, 1, S]} of the first {@code s} slots (a view under {@code
   * m}), or null when none was set.
   */
  public NDArray keyMask(NDManager m, int s) {
    return keyMask == null ? null : keyMask.get(m, new NDIndex(":, :, :, :{}", s));
  }

  /**
   * Keeps only the given rows (in this order) of every buffer and of the padding mask: finished
   * sequences leave the batch and cost nothing in later steps. Preallocated caches only.
   */
  public void keepRows(long[] rows) {
    if (!preallocated) {
      throw new IllegalStateException("dropping rows needs a preallocated cache");
    }
    NDArray idx = manager.create(rows);
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        keys[i] = replace(keys[i], Kernels.get().selectRows(keys[i], idx));
        values[i] = replace(values[i], Kernels.get().selectRows(values[i], idx));
      }
    }
    if (keyMask != null) {
      keyMask = replace(keyMask, Kernels.get().selectRows(keyMask, idx));
    }
    idx.close();
  }

  /**
   * The cache's own arrays, attached to its manager and taken out of any {@link NDScope} open around the
   * layer that made them (a layer's scope closes everything else it made).
   */
  private void keep(NDArray... xs) {
    for (NDArray x : xs) {
      x.attach(manager);
    }
    NDScope.unregister(xs);
  }

  private NDArray replace(NDArray old, NDArray fresh) {
    keep(fresh);
    old.close();
    return fresh;
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
