package dev.align4j.recipes.cli;

import dev.align4j.peft.adapter.PeftAdapters;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --adapter [NAME=]DIR} (repeatable) and {@code --active-adapter NAME} for commands that run a model. */
public final class AdapterOptions {
  @Option(names = "--adapter", paramLabel = "[NAME=]DIR",
      description = "PEFT adapter directory to apply (LoRA, DoRA, IA3, prompt/P-/prefix tuning); repeatable for LoRA"
          + " adapters, each with an optional name (default: default, then adapter2, ...)")
  List<String> adapters = new ArrayList<>();

  @Option(names = "--active-adapter", paramLabel = "NAME", description = "which --adapter serves (default: the first)")
  String active;

  /** The adapters by name, in order. */
  LinkedHashMap<String, Path> byName() {
    return byName(adapters);
  }

  /**
   * {@code [NAME=]DIR} specs by name, in order: an unnamed one is {@code default} when first, else
   * {@code adapterN}; each DIR must be a directory and each name unique.
   */
  public static LinkedHashMap<String, Path> byName(List<String> specs) {
    LinkedHashMap<String, Path> out = new LinkedHashMap<>();
    for (String a : specs) {
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : out.isEmpty() ? "default" : "adapter" + (out.size() + 1);
      Path dir = Path.of(eq > 0 ? a.substring(eq + 1) : a);
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--adapter " + a + ": not a directory");
      }
      if (out.put(name, dir) != null) {
        throw new IllegalArgumentException("--adapter: the name '" + name + "' is given twice");
      }
    }
    return out;
  }

  /**
   * Applies the adapters to {@code model} and says so on stderr; returns what was applied, or null
   * when no adapter was given.
   */
  PeftAdapters.Applied apply(CausalLM model) throws IOException {
    if (adapters.isEmpty()) {
      if (active != null) {
        throw new IllegalArgumentException("--active-adapter needs --adapter");
      }
      return null;
    }
    LinkedHashMap<String, Path> byName = byName();
    PeftAdapters.Applied a = PeftAdapters.apply(model, byName, active);
    System.err.println("align4j: " + a.type() + " adapter(s) " + byName.keySet() + ", active: "
        + (active != null ? active : byName.keySet().iterator().next()));
    return a;
  }

  /** The adapter that serves by default: {@code --active-adapter}, else the first; null without adapters. */
  String defaultName() {
    return adapters.isEmpty() ? null : active != null ? active : byName().keySet().iterator().next();
  }
}
