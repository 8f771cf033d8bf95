package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One fine-tuning method attached to a base model, whatever its kind: a named LoRA/DoRA/rsLoRA
 * adapter (QLoRA when the base is 4-bit; several may share one {@link PeftModel}), IA3, prompt/P-
 * and prefix tuning, freeze and full fine-tuning.
 *
 * <p>Each says what trains, saves itself (PEFT's on-disk format for the PEFT methods, a full
 * Hugging Face checkpoint for freeze and full fine-tuning) and opens scopes: {@link #use()} (this
 * adapter alone is active) and {@link #disabled()} (the base model: the frozen reference of DPO and
 * PPO). Scopes close without checked exceptions and nest.
 */
public sealed interface Adapter
    permits LoraAdapter, SingleAdapter, FreezeTuning, FullFineTuning {
  /** The adapter's name (PEFT's adapter name; {@code default} for the single-adapter methods). */
  String name();

  /** The method. */
  AdapterKind kind();

  /** The parameters an optimizer updates, named as PEFT names them in memory. */
  List<Parameter> trainableParameters();

  /**
   * Writes the adapter into {@code dir}: {@code adapter_config.json} and {@code
   * adapter_model.safetensors} as PEFT does, or a full checkpoint for freeze and full fine-tuning.
   *
   * @param baseModelNameOrPath recorded as {@code base_model_name_or_path}, may be null
   */
  void save(Path dir, String baseModelNameOrPath) throws IOException;

  /** Until the scope closes, forward uses this adapter alone. */
  AdapterScope use();

  /**
   * Until the scope closes, forward is the base model.
   *
   * @throws UnsupportedOperationException for freeze and full fine-tuning, which change the base
   *     weights in place and so keep no base model to return to
   */
  AdapterScope disabled();

  /**
   * Loads a PEFT adapter from {@code dir}, whatever its {@code peft_type}: LoRA (with DoRA, rsLoRA, a
   * SEQ_CLS score head) becomes adapter {@code name} of {@code host}; IA3, prompt, P- and prefix
   * tuning attach to {@code host}'s model under their own switches (one of each per model).
   */
  static Adapter load(PeftModel host, Path dir, String name) throws IOException {
    Path cfg = dir.resolve(PeftAdapterFiles.CONFIG);
    if (!Files.exists(cfg)) {
      throw new CheckpointFormatException(cfg, "missing");
    }
    JsonNode c;
    try {
      c = new ObjectMapper().readTree(cfg.toFile());
    } catch (IOException e) {
      throw new CheckpointFormatException(cfg, "not valid JSON: " + e.getMessage());
    }
    String type = c.path("peft_type").asText("");
    return switch (type) {
      case "LORA" -> LoraAdapter.load(host, dir, name);
      case "IA3" -> Ia3Adapter.load(host.model(), dir);
      case "PROMPT_TUNING", "P_TUNING" -> PromptTuning.load(host.model(), dir);
      case "PREFIX_TUNING" -> PrefixTuning.load(host.model(), dir);
      default -> throw new CheckpointFormatException(cfg, "peft_type '" + type
          + "' is not one of LORA, IA3, PROMPT_TUNING, P_TUNING, PREFIX_TUNING");
    };
  }
}
