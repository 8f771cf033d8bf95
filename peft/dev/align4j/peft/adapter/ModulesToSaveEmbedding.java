package dev.align4j.peft.adapter;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * PEFT's {@code modules_to_save} for the input embedding ({@code model.embed_tokens}): a full trainable
 * copy of the table that the model looks tokens up in while an adapter that lists it is active. As in PEFT, only the
 * input side is replaced: with tied embeddings the output head keeps reading the original table.
 */
public final class ModulesToSaveEmbedding {
  private final CausalLM model;
  private final Parameter copy;
  private final AdapterState state;
  private final LinkedHashSet<String> owners = new LinkedHashSet<>();
  private Parameter unmerged;   // the original values while merged

  ModulesToSaveEmbedding(CausalLM model, Parameter copy, AdapterState state) {
    this.model = model;
    this.copy = copy;
    this.state = state;
    model.setEmbeddingTable(() -> served() ? copy.forCompute() : unmerged == null ? null : unmerged.data());
  }

  private boolean served() {
    for (String a : state.activeNames()) {
      if (owners.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /** Adds an adapter whose config lists the embedding: the copy serves while that adapter is active. */
  void addOwner(String adapter) {
    owners.add(adapter);
  }

  /** The adapters whose config lists the embedding. */
  public Set<String> owners() {
    return Collections.unmodifiableSet(owners);
  }

  /** The trainable copy {@code [V, H]}, named {@code base_model.model.model.embed_tokens.weight}. */
  public Parameter weight() {
    return copy;
  }

  /** Writes the copy into the model's own table (kept aside for {@link #unmerge}). */
  void merge() {
    if (unmerged != null) {
      return;
    }
    Parameter own = model.parameters().get("model.embed_tokens.weight");
    unmerged = ModulesToSaveLinear.keep(own);
    own.replace(ModulesToSaveLinear.duplicateInto(copy, own));
  }

  /** Restores the model's own table. */
  void unmerge() {
    if (unmerged == null) {
      return;
    }
    model.parameters().get("model.embed_tokens.weight").replace(unmerged.data());
    unmerged = null;
  }
}
