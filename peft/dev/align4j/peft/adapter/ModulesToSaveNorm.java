package dev.align4j.peft.adapter;

import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.RmsNorm;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PEFT's {@code modules_to_save} for an RMS norm (e.g. the final {@code model.norm}): each adapter that
 * lists the module has its own trainable copy of the gain, as PEFT's {@code ModulesToSaveWrapper} keeps
 * one per adapter, and the copy of the first active adapter that has one serves; with adapters off the
 * original gain serves, so the frozen reference stays exact.
 *
 * <p>Why a policy wants it: with tied embeddings the logits are {@code E (g * h / rms(h))} and LoRA on
 * the linear layers cannot change {@code E}, {@code g} or {@code ||h / rms(h)||}, so the largest logit
 * gap a LoRA policy can reach between two tokens is bounded by {@code sqrt(H) ||g * (e_a - e_b)||};
 * training the final norm's gain lifts that bound (a scale of {@code g} acts as an inverse temperature).
 */
public final class ModulesToSaveNorm {
  private final RmsNorm norm;
  private final String path;
  private final AdapterState state;
  private final LinkedHashMap<String, Parameter> copies = new LinkedHashMap<>();
  private Parameter unmerged;   // the original gain's values while merged

  ModulesToSaveNorm(RmsNorm norm, String path, AdapterState state) {
    this.norm = norm;
    this.path = path;
    this.state = state;
    norm.setGainSource(this::serving);
  }

  private Parameter serving() {
    for (String a : state.activeNames()) {
      Parameter c = copies.get(a);
      if (c != null) {
        return c;
      }
    }
    return unmerged;   // null unless merged: then the forward without the adapter sees the original values
  }

  /** Adds {@code adapter}'s copy, initialised from the original gain; a second call keeps the first copy. */
  void addOwner(String adapter, Parameter copy) {
    copies.putIfAbsent(adapter, copy);
  }

  /** The module path, e.g. {@code model.norm}. */
  public String path() {
    return path;
  }

  /** The adapters that have a copy, each with its copy {@code [H]}. */
  public Map<String, Parameter> copies() {
    return Collections.unmodifiableMap(copies);
  }

  /** The original (base) gain. */
  public Parameter original() {
    return norm.gain();
  }

  /** Writes {@code adapter}'s copy into the original gain (its values kept aside for {@link #unmerge}). */
  void merge(String adapter) {
    Parameter c = copies.get(adapter);
    if (c == null || unmerged != null) {
      return;
    }
    Parameter own = norm.gain();
    unmerged = ModulesToSaveLinear.keep(own);
    own.replace(ModulesToSaveLinear.duplicateInto(c, own));
  }

  /** Restores the original gain. */
  void unmerge() {
    if (unmerged == null) {
      return;
    }
    norm.gain().replace(unmerged.data());
    unmerged = null;
  }
}
