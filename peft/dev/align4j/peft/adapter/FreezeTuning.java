package dev.align4j.peft.adapter;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Freeze tuning as LLaMA-Factory defines it: train only the last {@code n} decoder layers (the first
 * {@code |n|} when negative), plus any modules named in {@code extraModules} (matched as path
 * segments, e.g. {@code lm_head}, {@code model.norm}, {@code embed_tokens}); everything else frozen.
 * It changes base weights in place, so it saves a full checkpoint and has no disabled scope.
 */
public final class FreezeTuning implements Adapter {
  private final PretrainedModel pm;
  private final List<Parameter> trainable;

  private FreezeTuning(PretrainedModel pm, List<Parameter> trainable) {
    this.pm = pm;
    this.trainable = List.copyOf(trainable);
  }

  /** Applies freeze tuning to a loaded model (see {@link #apply}). */
  public static FreezeTuning create(PretrainedModel pm, int trainableLayers, List<String> extraModules) {
    return new FreezeTuning(pm, apply(pm.model(), trainableLayers, extraModules));
  }

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

  @Override
  public String name() {
    return "default";
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.FREEZE;
  }

  @Override
  public List<Parameter> trainableParameters() {
    return trainable;
  }

  /** Writes the whole model as a Hugging Face checkpoint (the base name is not recorded). */
  @Override
  public void save(Path dir, String baseModelNameOrPath) throws IOException {
    FullFineTuning.saveModel(pm, dir);
  }

  /** Freeze tuning keeps no base model apart from the trained one: this is the trained model. */
  @Override
  public AdapterScope use() {
    return () -> { };
  }

  @Override
  public AdapterScope disabled() {
    throw new UnsupportedOperationException("freeze tuning trains base weights in place: there is no base "
        + "model to switch to; load the base checkpoint a second time for a reference model");
  }
}
