package dev.align4j.recipes.dpo;

import ai.djl.ndarray.NDManager;
import dev.align4j.dpo.Reference;
import dev.align4j.dpo.ReferenceFingerprint;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The trained policy and its reference as a recipe asks: a new LoRA adapter (reference: the base with
 * adapters off), a LoRA adapter started from {@code adapter_name_or_path} (reference: a frozen copy of
 * it on the same base, TRL's {@code ref} adapter), or full training (reference: the policy before its
 * first step for a precompute, else a second copy); {@code ref_model} overrides the reference with a
 * separately loaded checkpoint. Closing releases a loaded reference copy.
 */
final class PolicySetup implements AutoCloseable {
  final PeftModel peft;
  final List<Parameter> trainables;
  Reference reference;
  private final List<Path> refDirs;
  private PretrainedModel refCopy;

  private PolicySetup(PeftModel peft, List<Parameter> trainables, Reference reference, List<Path> refDirs,
      PretrainedModel refCopy) {
    this.peft = peft;
    this.trainables = trainables;
    this.reference = reference;
    this.refDirs = refDirs;
    this.refCopy = refCopy;
  }

  static PolicySetup of(DpoRecipe r, CausalLM model, NDManager m, int tokenizerVocab, boolean needsReference)
      throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    PeftModel peft = null;
    Reference reference;
    List<Path> refDirs = new ArrayList<>(List.of(modelDir));
    List<Parameter> trainables;
    if (r.finetuningType() == PrefTuning.LORA) {
      peft = new PeftModel(model);
      if (!r.adapterNameOrPath().isBlank()) {
        Path adapter = Path.of(r.adapterNameOrPath());
        if (r.refModel().isBlank()) {
          reference = Reference.FrozenAdapter.load(peft, adapter, "default");
          refDirs.add(adapter);
        } else {
          PeftAdapterFiles.load(peft, adapter, "default");
          peft.setActive("default");
          reference = null;
        }
      } else {
        List<String> targets = LoraConfig.recipeTargets(r.loraTarget());
        // dropout 0: TRL's disable_dropout (the policy and reference forwards must see the same network)
        peft.addLora("default", new LoraConfig(r.loraRank(), r.loraAlpha(), 0.0, targets, LoraInit.KAIMING_UNIFORM,
            r.useRslora(), r.useDora(), List.of()), r.seed());
        reference = new Reference.AdaptersOff(peft.state());
      }
      trainables = peft.trainableParameters();
    } else {
      model.setAllTrainable(true);
      trainables = model.trainableParameters();
      // the policy before its first step serves a precompute; live, it needs a copy that stays put
      reference = r.precomputeRefLogProbs() ? new Reference.Policy() : null;
    }
    PretrainedModel copy = null;
    if (needsReference && (!r.refModel().isBlank() || reference == null)) {
      Path refDir = Path.of(r.refModel().isBlank() ? r.modelNameOrPath() : r.refModel());
      copy = ModelLoader.load(refDir, r.precision(), r.attention(), m);
      copy.model().config().requireVocabCovers(tokenizerVocab, refDir);
      reference = new Reference.SeparateModel(copy.model());
      refDirs = List.of(refDir);
    }
    return new PolicySetup(peft, trainables, needsReference ? reference : null, refDirs, copy);
  }

  /** What the reference is, for the log. */
  String describe() {
    return reference == null ? "none (reference-free)" : reference.describe();
  }

  /** The reference weights' hash for the log-prob cache, with everything that changes its numbers. */
  String referenceHash(DpoRecipe r) throws IOException {
    String how = "precision=" + r.precision() + " attention=" + r.attention() + " quantization_bit="
        + r.quantizationBit() + " double_quantization=" + r.doubleQuantization() + " reference=" + describe();
    return ReferenceFingerprint.of(how, refDirs);
  }

  /** Releases a loaded reference copy once its log-probs are cached: no live reference remains. */
  void dropReference() {
    reference = null;
    close();
  }

  @Override
  public void close() {
    if (refCopy != null) {
      refCopy.close();
      refCopy = null;
    }
  }
}
