package dev.align4j.recipes.dpo;

import picocli.CommandLine.Command;

/** {@code align4j orpo --config recipe.yaml [key=value ...]}. */
@Command(name = "orpo", description = "Odds-ratio preference optimisation (no reference model) from a YAML recipe.")
public final class OrpoCommand extends PreferenceCommand {
  @Override
  Stage stage() {
    return Stage.ORPO;
  }
}
