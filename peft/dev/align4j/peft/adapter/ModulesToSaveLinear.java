package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;

/**
 * PEFT's {@code modules_to_save}: a full, trainable copy of a layer (an output head, a score head)
 * used while adapters are on; with adapters off the untouched original serves, so the frozen
 * reference model stays exact.
 */
public final class ModulesToSaveLinear implements Linear {
  private final DenseLinear original;
  private final DenseLinear copy;
  private final AdapterState state;

  ModulesToSaveLinear(DenseLinear original, Parameter weightCopy, Parameter biasCopy, AdapterState state) {
    this.original = original;
    this.copy = new DenseLinear(weightCopy, biasCopy);
    this.state = state;
  }

  /** The trainable copy. */
  public DenseLinear copy() {
    return copy;
  }

  /** The frozen original. */
  public DenseLinear original() {
    return original;
  }

  @Override
  public NDArray forward(NDArray x) {
    return state.enabled() ? copy.forward(x) : original.forward(x);
  }

  @Override
  public long inFeatures() {
    return original.inFeatures();
  }

  @Override
  public long outFeatures() {
    return original.outFeatures();
  }
}
