package dev.align4j.peft.adapter;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Freeze tuning as LLaMA-Factory defines it: train only the last {@code n} decoder layers (the first
 * {@code |n|} when negative), plus any modules named in {@code extraModules} (matched as path
 * segments, e.g. {@code lm_head}, {@code model.norm}, {@code embed_tokens}); everything else frozen.
 */
public final class FreezeTuning {
  private FreezeTuning() {}

  /** Marks the chosen parameters trainable and returns them. */
  public static List<Parameter> apply(CausalLM model, int trainableLayers, List<String> extraModules) {
    int layers = model.config().numLayers();
    if (trainableLayers == 0 || Math.abs(trainableLayers) > layers) {
      throw new IllegalArgumentException("freeze_trainable_layers must be in [-" + layers + ", " + layers
          + "] and not 0, got " + trainableLayers);
    }
    int from = trainableLayers > 0 ? layers - trainableLayers : 0;
    int to = trainableLayers > 0 ? layers : -trainableLayers;
    model.setAllTrainable(false);
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : model.parameters().values()) {
      boolean train = false;
      String n = p.name();
      if (n.startsWith("model.layers.")) {
        int i = Integer.parseInt(n.substring("model.layers.".length(), n.indexOf('.', "model.layers.".length())));
        train = i >= from && i < to;
      }
      for (String extra : extraModules) {
        train |= n.equals(extra) || n.startsWith(extra + ".") || n.contains("." + extra + ".");
      }
      if (train) {
        p.setTrainable(true);
        out.add(p);
      }
    }
    return out;
  }
}
