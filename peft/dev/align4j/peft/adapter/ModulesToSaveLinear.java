package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * PEFT's {@code modules_to_save}: a full, trainable copy of a layer (an output head, a score head)
 * used while an adapter that lists it is active; with adapters off the untouched original serves, so the frozen
 * reference model stays exact. Merging writes the copy into the original's weights (what a merged
 * checkpoint saves) and keeps the original values for unmerge and for the forward without the adapter.
 */
public final class ModulesToSaveLinear implements Linear {
  private final DenseLinear original;
  private final DenseLinear copy;
  private final AdapterState state;
  private final LinkedHashSet<String> owners = new LinkedHashSet<>();
  private DenseLinear unmerged;   // the original's values while merged

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
    return unmerged != null ? unmerged.forward(x) : original.forward(x);
  }

  /** Writes the copy's values into the original parameters (kept aside for {@link #unmerge}). */
  void merge() {
    if (unmerged != null) {
      return;
    }
    unmerged = new DenseLinear(keep(original.weight()), original.bias() == null ? null : keep(original.bias()));
    original.weight().replace(duplicateInto(copy.weight(), original.weight()));
    if (original.bias() != null) {
      original.bias().replace(duplicateInto(copy.bias(), original.bias()));
    }
  }

  /** Restores the original values. */
  void unmerge() {
    if (unmerged == null) {
      return;
    }
    original.weight().replace(unmerged.weight().data());
    if (original.bias() != null) {
      original.bias().replace(unmerged.bias().data());
    }
    unmerged = null;
  }

  /** A copy of {@code p}'s values on its manager (kept aside while merged). */
  static Parameter keep(Parameter p) {
    NDArray d = p.data().duplicate();
    d.attach(p.data().getManager());
    return new Parameter(p.name(), d, p.precision());
  }

  static NDArray duplicateInto(Parameter from, Parameter into) {
    NDArray d = from.data().getDataType() == into.data().getDataType() ? from.data().duplicate()
        : DTypeGuard.toType(from.data(), into.data().getDataType());
    d.attach(into.data().getManager());
    return d;
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
