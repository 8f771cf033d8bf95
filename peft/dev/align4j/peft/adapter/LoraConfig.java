package dev.align4j.peft.adapter;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * LoRA (Hu et al. 2021) and its variants rsLoRA (Kalajdzievski 2023) and DoRA (Liu et al. 2024), with
 * PEFT's {@code LoraConfig} names and defaults.
 *
 * @param r rank (PEFT default 8)
 * @param alpha {@code lora_alpha} (default 8)
 * @param dropout dropout on the adapter's input (default 0)
 * @param targetModules module names such as {@code q_proj}, or the single entry {@code all-linear}
 *     (every linear layer but the output head); empty means PEFT's per-architecture default (q_proj,
 *     v_proj)
 * @param init initialisation of A
 * @param useRslora scale by alpha / sqrt(r) instead of alpha / r
 * @param useDora decompose into magnitude and direction (DoRA)
 * @param modulesToSave modules trained in full next to the adapter (e.g. {@code lm_head})
 */
public record LoraConfig(
    int r, double alpha, double dropout, List<String> targetModules, LoraInit init,
    boolean useRslora, boolean useDora, List<String> modulesToSave) {

  /** Names valid in {@code target_modules} for the supported families. */
  public static final Set<String> LINEAR_NAMES =
      Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head");

  /** Validates. */
  public LoraConfig {
    if (r <= 0) {
      throw new IllegalArgumentException("lora: r must be > 0, got " + r);
    }
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("lora: lora_alpha must be > 0, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora: lora_dropout must be in [0, 1), got " + dropout);
    }
    targetModules = targetModules == null || targetModules.isEmpty()
        ? List.of("q_proj", "v_proj") : List.copyOf(targetModules);
    for (String t : targetModules) {
      if (!t.equals("all-linear") && !LINEAR_NAMES.contains(t)) {
        throw new IllegalArgumentException(
            "lora: unknown target module '" + t + "' (all-linear or one of " + LINEAR_NAMES + ")");
      }
    }
    init = init == null ? LoraInit.KAIMING_UNIFORM : init;
    modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
  }

  /** PEFT's defaults: r 8, alpha 8, no dropout, q_proj and v_proj. */
  public static LoraConfig defaults() {
    return new LoraConfig(8, 8, 0, List.of(), LoraInit.KAIMING_UNIFORM, false, false, List.of());
  }

  /**
   * The target list of a recipe's {@code lora_target} value: {@code all} is PEFT's {@code all-linear}, else
   * comma-separated module names (LLaMA-Factory's key).
   */
  public static List<String> recipeTargets(String loraTarget) {
    return loraTarget.equals("all") ? List.of("all-linear")
        : Arrays.stream(loraTarget.split(",")).map(String::trim).toList();
  }

  /** A config of rank r and alpha on the given modules. */
  public static LoraConfig of(int r, double alpha, String... targets) {
    return new LoraConfig(r, alpha, 0, List.of(targets), LoraInit.KAIMING_UNIFORM, false, false, List.of());
  }

  /** A copy with DoRA on or off. */
  public LoraConfig withDora(boolean on) {
    return new LoraConfig(r, alpha, dropout, targetModules, init, useRslora, on, modulesToSave);
  }

  /** A copy with rsLoRA scaling on or off. */
  public LoraConfig withRslora(boolean on) {
    return new LoraConfig(r, alpha, dropout, targetModules, init, on, useDora, modulesToSave);
  }

  /** A copy with these {@code modules_to_save}. */
  public LoraConfig withModulesToSave(List<String> modules) {
    return new LoraConfig(r, alpha, dropout, targetModules, init, useRslora, useDora, modules);
  }

  /** The update's scale: alpha / r, or alpha / sqrt(r) with rsLoRA. */
  public double scaling() {
    return useRslora ? alpha / Math.sqrt(r) : alpha / r;
  }

  /** Whether the linear module named {@code name} (e.g. {@code q_proj}) is adapted. */
  public boolean targets(String name) {
    if (targetModules.contains("all-linear")) {
      return !name.equals("lm_head");
    }
    return targetModules.contains(name);
  }
}
