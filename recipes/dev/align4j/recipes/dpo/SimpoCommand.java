package dev.align4j.recipes.dpo;

import picocli.CommandLine.Command;

/** {@code align4j simpo --config recipe.yaml [key=value ...]}. */
@Command(name = "simpo", description = "SimPO and the CPO family (no reference model, length-normalised) from a YAML recipe.")
public final class SimpoCommand extends PreferenceCommand {
  @Override
  Stage stage() {
    return Stage.SIMPO;
  }
}
