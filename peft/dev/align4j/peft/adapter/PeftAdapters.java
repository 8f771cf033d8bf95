package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Applies PEFT adapter directories of any type align4j implements to a model for inference, as
 * {@code PeftModel.from_pretrained} (and {@code load_adapter} for further named LoRA adapters) does:
 * LoRA (with rsLoRA, DoRA, rank/alpha patterns, modules_to_save), IA3, prompt tuning, P-tuning and
 * prefix tuning. Several adapters are possible for LoRA, by name, one active; the other methods
 * take one adapter.
 */
public final class PeftAdapters {
  private PeftAdapters() {}

  /** What was applied: the LoRA model (null unless LoRA) and the adapter state that switches it off. */
  public record Applied(PeftModel lora, AdapterState state, String type) {}

  /** The {@code peft_type} of an adapter directory. */
  public static String peftType(Path dir) throws IOException {
    JsonNode c = PeftAdapterFiles.readJson(dir);
    JsonNode t = c.get("peft_type");
    if (t == null || !t.isTextual()) {
      throw new CheckpointFormatException(dir.resolve(PeftAdapterFiles.CONFIG), "peft_type: missing");
    }
    return t.asText();
  }

  /**
   * Applies {@code adapters} (name to directory, in order) to {@code model}.
   *
   * @param active the adapter that serves, or null for the first
   */
  public static Applied apply(CausalLM model, Map<String, Path> adapters, String active) throws IOException {
    if (adapters.isEmpty()) {
      throw new IllegalArgumentException("no adapter given");
    }
    if (active != null && !adapters.containsKey(active)) {
      throw new IllegalArgumentException("--active-adapter '" + active + "' is none of " + adapters.keySet());
    }
    Map.Entry<String, Path> first = adapters.entrySet().iterator().next();
    String type = peftType(first.getValue());
    if (!type.equals("LORA")) {
      if (adapters.size() > 1) {
        throw new IllegalArgumentException("several adapters are supported for LORA only; " + first.getValue()
            + " is " + type);
      }
      Path dir = first.getValue();
      return switch (type) {
        case "IA3" -> new Applied(null, Ia3Adapter.load(model, dir).state(), type);
        case "PROMPT_TUNING", "P_TUNING" -> new Applied(null, PromptTuning.load(model, dir).state(), type);
        case "PREFIX_TUNING" -> new Applied(null, PrefixTuning.load(model, dir).state(), type);
        default -> throw new CheckpointFormatException(dir.resolve(PeftAdapterFiles.CONFIG), "peft_type '" + type
            + "' is not supported (LORA, IA3, PROMPT_TUNING, P_TUNING, PREFIX_TUNING)");
      };
    }
    PeftModel peft = new PeftModel(model);
    for (Map.Entry<String, Path> e : adapters.entrySet()) {
      String t = peftType(e.getValue());
      if (!t.equals("LORA")) {
        throw new IllegalArgumentException("adapter '" + e.getKey() + "' (" + e.getValue() + ") is " + t
            + "; only LoRA adapters combine with other adapters");
      }
      if (adapters.size() > 1 && sharesCopies(PeftAdapterFiles.readSpec(e.getValue()).base().modulesToSave(), model)) {
        throw new IllegalArgumentException("adapter '" + e.getKey() + "' has modules_to_save of a linear layer or the"
            + " embedding (one copy for every adapter): load it alone");
      }
      PeftAdapterFiles.load(peft, e.getValue(), e.getKey());
    }
    peft.setActive(active != null ? active : first.getKey());
    return new Applied(peft, peft.state(), type);
  }

  /**
   * Whether a {@code modules_to_save} list names a linear layer or the embedding, whose copies one base
   * shares between its adapters; a norm's copy is the adapter's own ({@link ModulesToSaveNorm}).
   */
  private static boolean sharesCopies(List<String> modulesToSave, CausalLM model) {
    for (ModuleTree.Module m : ModuleTree.of(model.config())) {
      if (m.kind() != ModuleTree.Kind.NORM && !m.path().isEmpty() && modulesToSave.stream().anyMatch(m.path()::endsWith)) {
        return true;
      }
    }
    return false;
  }
}
