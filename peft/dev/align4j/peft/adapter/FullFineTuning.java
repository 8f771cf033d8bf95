package dev.align4j.peft.adapter;

import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Full fine-tuning: every parameter trains (float32 masters under bfloat16, or the bfloat16 weights
 * themselves after {@link dev.align4j.peft.model.MasterWeights#NONE}). It changes the base weights in
 * place, so it saves a full checkpoint and has no disabled scope.
 */
public final class FullFineTuning implements Adapter {
  private final PretrainedModel pm;

  private FullFineTuning(PretrainedModel pm) {
    this.pm = pm;
  }

  /** Marks every parameter of a loaded model trainable. */
  public static FullFineTuning create(PretrainedModel pm) {
    pm.model().setAllTrainable(true);
    return new FullFineTuning(pm);
  }

  @Override
  public String name() {
    return "default";
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.FULL;
  }

  @Override
  public List<Parameter> trainableParameters() {
    return pm.model().trainableParameters();
  }

  /** Writes the whole model as a Hugging Face checkpoint (the base name is not recorded). */
  @Override
  public void save(Path dir, String baseModelNameOrPath) throws IOException {
    saveModel(pm, dir);
  }

  static void saveModel(PretrainedModel pm, Path dir) throws IOException {
    ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), dir, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
  }

  /** Full fine-tuning keeps no base model apart from the trained one: this is the trained model. */
  @Override
  public AdapterScope use() {
    return () -> { };
  }

  @Override
  public AdapterScope disabled() {
    throw new UnsupportedOperationException("full fine-tuning trains the base weights in place: there is no "
        + "base model to switch to; load the base checkpoint a second time for a reference model");
  }
}
