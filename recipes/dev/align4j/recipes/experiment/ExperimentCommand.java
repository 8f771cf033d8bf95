package dev.align4j.recipes.experiment;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code align4j experiment frontier|all}: experiments that regenerate the tables and plots under {@code results/}. */
@Command(name = "experiment", description = "Experiments that regenerate results/ (tables, plots, exact commands):"
    + " frontier (reward vs KL of PPO and DPO), all (the demo if missing, then every experiment).",
    subcommands = {FrontierCommand.class, AllCommand.class})
public final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
