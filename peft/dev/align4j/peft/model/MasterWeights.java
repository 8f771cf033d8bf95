package dev.align4j.peft.model;

/**
 * Whether trainable parameters keep a higher-precision master copy under a bfloat16 compute
 * precision. Under float32 and float64 the master is the computed tensor itself, so the choice
 * changes nothing there.
 */
public enum MasterWeights {
  /**
   * Mixed precision (the default): trainable weights, their gradients and AdamW moments in float32;
   * the forward casts each master to bfloat16 and the gradient comes back through the cast.
   */
  FLOAT32,
  /**
   * Pure bfloat16, what {@code model.to(torch.bfloat16)} and torch's AdamW do: the bfloat16 weights
   * train themselves, their gradients and AdamW moments are bfloat16 too, and each update is rounded
   * to bfloat16 (an update below half a bfloat16 step of a weight is lost). Half the static memory of
   * {@link #FLOAT32} and no per-forward casts.
   */
  NONE;

  /**
   * Applies the choice to parameters: under {@link #NONE} each one {@link Parameter#dropMaster drops
   * its master} (call it on a model's parameters before they are made trainable, so that no float32
   * copy is ever made, and again on an adapter's new trainable parameters); {@link #FLOAT32} changes
   * nothing.
   */
  public void applyTo(Iterable<Parameter> params) {
    if (this == NONE) {
      params.forEach(Parameter::dropMaster);
    }
  }
}
