package dev.align4j.recipes.dpo;

import picocli.CommandLine.Command;

/** {@code align4j dpo --config recipe.yaml [key=value ...]}. */
@Command(name = "dpo", description = "Direct preference optimisation (and its loss family) from a YAML recipe, with key=value overrides.")
public final class DpoCommand extends PreferenceCommand {
  @Override
  Stage stage() {
    return Stage.DPO;
  }
}
