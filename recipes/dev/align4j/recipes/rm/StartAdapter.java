package dev.align4j.recipes.rm;

import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.LoraLinear;
import dev.align4j.peft.adapter.LoraWeights;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The reward model's LoRA adapter, new or started from {@code adapter_name_or_path}: an existing PEFT
 * LoRA adapter of the same base (the SFT adapter), as InstructGPT and OpenRLHF initialise the reward
 * model from the SFT model. The started adapter keeps its weights bit for bit and its config (so the
 * saved reward model is a PEFT adapter of the same shape); the recipe's LoRA keys must describe it, so a
 * recipe never silently trains something other than what it says.
 */
final class StartAdapter {
  private StartAdapter() {}

  /** The LoRA config the recipe's keys describe (what a new adapter gets). */
  static LoraConfig recipeConfig(RmRecipe r) {
    List<String> targets = LoraConfig.recipeTargets(r.loraTarget());
    return new LoraConfig(r.loraRank(), r.loraAlpha(), r.loraDropout(), targets, LoraInit.KAIMING_UNIFORM,
        r.useRslora(), r.useDora(), List.of());
  }

  /**
   * Adds adapter {@code name} to {@code peft}: loaded from {@code adapter_name_or_path} when the recipe
   * names one (checked against the recipe's LoRA keys), else new from the recipe's seed. Active.
   *
   * @throws IllegalArgumentException naming the adapter's config file and each mismatched key
   */
  static void add(RmRecipe r, PeftModel peft, String name) throws IOException {
    LoraConfig want = recipeConfig(r);
    if (r.adapterNameOrPath().isBlank()) {
      peft.addLora(name, want, r.seed());
      return;
    }
    Path dir = Path.of(r.adapterNameOrPath());
    PeftAdapterFiles.load(peft, dir, name);   // file errors name the file, the key or the tensor
    List<String> problems = mismatches(want, peft, name);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(dir.resolve(PeftAdapterFiles.CONFIG) + ": adapter_name_or_path does not "
          + "match the recipe: " + String.join("; ", problems) + " (set the recipe's keys to the adapter's values)");
    }
    System.err.printf("align4j rm: LoRA adapter started from %s (r %d, alpha %s, %d modules)%n", dir, want.r(),
        fmt(want.alpha()), modules(peft, name).size());
  }

  /**
   * What differs between the recipe's config {@code want} and the loaded adapter {@code name}: the
   * adapted modules, each module's rank and scale (rank_pattern/alpha_pattern included), dropout,
   * rsLoRA, DoRA; each as "adapter KEY VALUE, recipe KEY VALUE".
   */
  static List<String> mismatches(LoraConfig want, PeftModel peft, String name) {
    LoraConfig got = peft.configs().get(name);
    List<String> out = new ArrayList<>();
    TreeSet<String> have = modules(peft, name);
    TreeSet<String> wanted = new TreeSet<>();
    for (String path : peft.model().linearModulePaths()) {
      if (want.targets(path.substring(path.lastIndexOf('.') + 1))) {
        wanted.add(path);
      }
    }
    if (!have.equals(wanted)) {
      TreeSet<String> onlyAdapter = new TreeSet<>(have);
      onlyAdapter.removeAll(wanted);
      TreeSet<String> onlyRecipe = new TreeSet<>(wanted);
      onlyRecipe.removeAll(have);
      out.add("adapter target_modules " + got.targetModules() + ", recipe lora_target " + want.targetModules()
          + (onlyAdapter.isEmpty() ? "" : "; only the adapter adapts " + onlyAdapter)
          + (onlyRecipe.isEmpty() ? "" : "; only the recipe adapts " + onlyRecipe));
    }
    if (got.r() != want.r()) {
      out.add("adapter r " + got.r() + ", recipe lora_rank " + want.r());
    }
    if (got.alpha() != want.alpha()) {
      out.add("adapter lora_alpha " + fmt(got.alpha()) + ", recipe lora_alpha " + fmt(want.alpha()));
    }
    if (got.r() == want.r() && got.alpha() == want.alpha()) {
      // rank_pattern / alpha_pattern: a module whose own rank or scale differs from the config's
      for (Map.Entry<String, LoraLinear> e : peft.loraLayers().entrySet()) {
        LoraWeights w = e.getValue().adapters().get(name);
        if (w != null && (w.a().shape().get(0) != want.r() || Math.abs(w.scaling() - want.scaling()) > 1e-12)) {
          out.add("adapter rank_pattern/alpha_pattern give " + e.getKey() + " rank " + w.a().shape().get(0)
              + " and scale " + w.scaling() + ", recipe lora_rank " + want.r() + " and scale " + want.scaling());
          break;
        }
      }
    }
    if (got.dropout() != want.dropout()) {
      out.add("adapter lora_dropout " + got.dropout() + ", recipe lora_dropout " + want.dropout());
    }
    if (got.useRslora() != want.useRslora()) {
      out.add("adapter use_rslora " + got.useRslora() + ", recipe use_rslora " + want.useRslora());
    }
    if (got.useDora() != want.useDora()) {
      out.add("adapter use_dora " + got.useDora() + ", recipe use_dora " + want.useDora());
    }
    return out;
  }

  /** The module paths adapter {@code name} adapts. */
  private static TreeSet<String> modules(PeftModel peft, String name) {
    TreeSet<String> out = new TreeSet<>();
    peft.loraLayers().forEach((path, l) -> {
      if (l.adapters().containsKey(name)) {
        out.add(path);
      }
    });
    return out;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
