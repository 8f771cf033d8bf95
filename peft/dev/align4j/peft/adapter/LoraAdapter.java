package dev.align4j.peft.adapter;

import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.quant.Nf4Linear;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One named LoRA adapter of a {@link PeftModel} (DoRA and rsLoRA by its config, QLoRA when the
 * layers it wraps are 4-bit). A view: the weights live in the model's {@link LoraLinear} layers.
 */
public record LoraAdapter(PeftModel peft, String name) implements Adapter {
  @Override
  public AdapterKind kind() {
    return AdapterKind.LORA;
  }

  /** Its configuration. */
  public LoraConfig config() {
    return peft.configs().get(name);
  }

  /** Whether it sits on a 4-bit (NF4) base: QLoRA. */
  public boolean quantizedBase() {
    for (LoraLinear l : peft.loraLayers().values()) {
      if (l.adapters().containsKey(name) && l.base() instanceof Nf4Linear) {
        return true;
      }
    }
    return false;
  }

  /** Its LoRA weights and the modules_to_save copies it owns, whether it trains now or not. */
  @Override
  public List<Parameter> trainableParameters() {
    List<Parameter> out = new java.util.ArrayList<>();
    for (ModulesToSaveLinear m : peft.modulesToSave().values()) {
      if (m.owners().contains(name)) {
        out.add(m.copy().weight());
        if (m.copy().bias() != null) {
          out.add(m.copy().bias());
        }
      }
    }
    for (ModulesToSaveNorm n : peft.savedNorms().values()) {
      if (n.copies().containsKey(name)) {
        out.add(n.copies().get(name));
      }
    }
    out.addAll(peft.parametersOf(name));
    if (peft.scoreHead(name) != null) {
      out.add(peft.scoreHead(name).weight());
    }
    return out;
  }

  /** Its score head, or null. */
  public ScoreHead scoreHead() {
    return peft.scoreHead(name);
  }

  @Override
  public void save(Path dir, String baseModelNameOrPath) throws IOException {
    PeftAdapterFiles.save(peft, name, dir, baseModelNameOrPath);
  }

  /** Loads a PEFT LoRA adapter from {@code dir} onto {@code peft} as {@code name}. */
  public static LoraAdapter load(PeftModel peft, Path dir, String name) throws IOException {
    PeftAdapterFiles.load(peft, dir, name);
    return peft.adapter(name);
  }

  @Override
  public AdapterScope use() {
    return peft.use(name);
  }

  @Override
  public AdapterScope disabled() {
    return peft.disabled();
  }
}
