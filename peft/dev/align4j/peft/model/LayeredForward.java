package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * A forward without autograd, layer by layer, each layer's output freed once the next layer has
 * consumed it: the same ops as {@link CausalLM#hiddenStates} (through {@link CausalLM#layerPlan}, which
 * computes exactly that). Without it, a forward under a trainable adapter (the RL policy or value
 * adapter) records a graph whose saved activations of every layer live as long as its output does; in
 * the rollout that output lived until the micro-batch's manager closed, through the next role's
 * forward. For forwards that never backpropagate: the RL rollout's scoring forwards, reward-model scores.
 */
public final class LayeredForward {
  private LayeredForward() {}

  /** {@code hiddenStates(in, null)} {@code [B, T, H]}, on {@code in}'s manager, no autograd. */
  public static NDArray hiddenStates(CausalLM model, ModelInput in) {
    return noGrad(() -> {
      LayerPlan plan = model.layerPlan(in);
      NDArray x = step(plan::embed);                                          // [B, T', H]
      for (int i = 0; i < model.config().numLayers(); i++) {
        NDArray prev = x;
        int layer = i;
        x = step(() -> plan.layer(layer, prev));                              // [B, T', H]
        prev.close();
      }
      NDArray last = x;
      NDArray h = step(() -> plan.finalHidden(last));                         // [B, T, H]
      if (h != last) {
        last.close();
      }
      return h;
    });
  }

  /** Runs {@code f} with autograd off (restored after). */
  public static <T> T noGrad(Supplier<T> f) {
    boolean was = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return f.get();
    } finally {
      JniUtils.setGradMode(was);
    }
  }

  /** {@code f}'s result kept; every other array made inside closed. */
  private static NDArray step(Supplier<NDArray> f) {
    try (NDScope scope = new NDScope()) {
      NDArray out = f.get();
      NDScope.unregister(out);
      return out;
    }
  }
}
