package dev.align4j.recipes.dpo;

/** The preference-optimisation stages sharing one recipe format and trainer. */
public enum Stage {
  /** Direct preference optimisation and its loss family (IPO, hinge, robust, ...): pairs, a reference. */
  DPO("dpo", "sigmoid"),
  /** Kahneman-Tversky optimisation: unpaired desirable/undesirable completions, a reference. */
  KTO("kto", "kto"),
  /** Odds-ratio preference optimisation: pairs, no reference, an NLL term. */
  ORPO("orpo", "orpo"),
  /** Simple preference optimisation (CPO family): pairs, no reference, length-normalised. */
  SIMPO("simpo", "simpo");

  private final String command;
  private final String defaultLoss;

  Stage(String command, String defaultLoss) {
    this.command = command;
    this.defaultLoss = defaultLoss;
  }

  /** The CLI command. */
  public String command() {
    return command;
  }

  /** The loss a recipe of this stage uses when {@code pref_loss} is not set. */
  public String defaultLoss() {
    return defaultLoss;
  }
}
