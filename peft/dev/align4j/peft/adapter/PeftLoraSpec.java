package dev.align4j.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;

/**
 * A PEFT LoRA {@code adapter_config.json} as PEFT 0.21 applies it to a model: which modules
 * ({@link TargetMatcher}), each module's rank and alpha ({@link PatternKeys}), rsLoRA and DoRA, and
 * {@code modules_to_save}. Values align4j does not implement are refused by key
 * ({@link UnsupportedKeys}).
 *
 * @param base r, lora_alpha, dropout, init, rsLoRA, DoRA and modules_to_save of the file
 * @param targets the module selection
 * @param ranks {@code rank_pattern}
 * @param alphas {@code alpha_pattern}
 */
public record PeftLoraSpec(LoraConfig base, TargetMatcher targets, PatternKeys ranks, PatternKeys alphas) {
  /** PEFT's LoRA default targets for the supported families. */
  public static final List<String> DEFAULT_TARGETS = List.of("q_proj", "v_proj");

  /** Reads a parsed {@code adapter_config.json} ({@code file} names it in errors). */
  public static PeftLoraSpec read(JsonNode c, Path file) throws CheckpointFormatException {
    String type = c.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new CheckpointFormatException(file, "peft_type '" + type + "' is not supported here (LORA)");
    }
    List<String> unsupported = UnsupportedKeys.lora(c);
    if (!unsupported.isEmpty()) {
      throw new CheckpointFormatException(file, "not supported by align4j: " + String.join("; ", unsupported));
    }
    if (!c.path("r").canConvertToInt() || !c.path("lora_alpha").isNumber()) {
      throw new CheckpointFormatException(file, "r and lora_alpha must be numbers");
    }
    try {
      List<String> save = TargetMatcher.modulesToSave(c);
      LoraConfig base = new LoraConfig(c.get("r").asInt(), c.get("lora_alpha").asDouble(),
          c.path("lora_dropout").asDouble(0), List.of("all-linear"),
          "gaussian".equals(c.path("init_lora_weights").asText()) ? LoraInit.GAUSSIAN : LoraInit.KAIMING_UNIFORM,
          c.path("use_rslora").asBoolean(false), c.path("use_dora").asBoolean(false), save);
      return new PeftLoraSpec(base, TargetMatcher.fromConfig(c, DEFAULT_TARGETS),
          PatternKeys.read(c, "rank_pattern"), PatternKeys.read(c, "alpha_pattern"));
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage());
    }
  }

  /**
   * The targeted linear modules of a model of config {@code mc}, in model order, each with its own
   * config (rank from {@code rank_pattern}, alpha from {@code alpha_pattern}, the scaling that follows).
   */
  public LinkedHashMap<String, LoraConfig> resolve(ModelConfig mc) {
    LinkedHashMap<String, LoraConfig> out = new LinkedHashMap<>();
    for (String path : targets.select(ModuleTree.of(mc), "lora")) {
      double r = ranks.valueFor(path, base.r());
      if (r != Math.rint(r)) {
        throw new IllegalArgumentException("rank_pattern: rank " + r + " for " + path + " is not an integer");
      }
      double alpha = alphas.valueFor(path, base.alpha());
      out.put(path, new LoraConfig((int) r, alpha, base.dropout(), List.of(leaf(path)), base.init(),
          base.useRslora(), base.useDora(), List.of()));
    }
    return out;
  }

  /**
   * The base config with its target modules spelled as the leaf names of {@code modules}, and the
   * decoder modules of {@code modules_to_save} (a SEQ_CLS head, {@code classifier}/{@code score}, is
   * the adapter's {@link ScoreHead} instead).
   */
  public LoraConfig configFor(List<String> modules) {
    TreeSet<String> leaves = new TreeSet<>();
    modules.forEach(p -> leaves.add(leaf(p)));
    List<String> save = new ArrayList<>(base.modulesToSave());
    save.removeAll(PeftAdapterFiles.SEQ_CLS_MODULES);
    return new LoraConfig(base.r(), base.alpha(), base.dropout(), new ArrayList<>(leaves), base.init(),
        base.useRslora(), base.useDora(), save);
  }

  private static String leaf(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }
}
