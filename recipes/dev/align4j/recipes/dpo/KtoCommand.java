package dev.align4j.recipes.dpo;

import picocli.CommandLine.Command;

/** {@code align4j kto --config recipe.yaml [key=value ...]}. */
@Command(name = "kto", description = "Kahneman-Tversky optimisation on unpaired desirable/undesirable data from a YAML recipe.")
public final class KtoCommand extends PreferenceCommand {
  @Override
  Stage stage() {
    return Stage.KTO;
  }
}
