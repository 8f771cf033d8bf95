package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * PEFT's {@code modules_to_save}: a full, trainable copy of a layer (an output head, a score head)
 * used while an adapter that lists it is active; with adapters off the untouched original serves, so the frozen
 * reference model stays exact.
 */
public final class ModulesToSaveLinear implements Linear {
  private final DenseLinear original;
  private final DenseLinear copy;
  private final AdapterState state;
  private final LinkedHashSet<String> owners = new LinkedHashSet<>();

  ModulesToSaveLinear(DenseLinear original, Parameter weightCopy, Parameter biasCopy, AdapterState state) {
    this.original = original;
    this.copy = new DenseLinear(weightCopy, biasCopy);
    this.state = state;
  }

  /** Adds an adapter whose config lists this module: the copy serves while that adapter is active. */
  void addOwner(String adapter) {
    owners.add(adapter);
  }

  /** The adapters whose config lists this module. */
  public Set<String> owners() {
    return Collections.unmodifiableSet(owners);
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
    for (String a : state.activeNames()) {
      if (owners.contains(a)) {
        return copy.forward(x);
      }
    }
    return original.forward(x);
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
