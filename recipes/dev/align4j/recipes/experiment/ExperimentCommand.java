package dev.align4j.recipes.experiment;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code align4j experiment frontier|probe|all}: experiments that regenerate the tables and plots under {@code results/}. */
@Command(name = "experiment", description = "Experiments that regenerate results/ (tables, plots, exact commands):"
    + " frontier (reward vs KL of PPO and DPO), probe (linear probes by layer of the demo's models), all (the demo if"
    + " missing, then every experiment).",
    subcommands = {FrontierCommand.class, ProbeExperimentCommand.class, AllCommand.class})
public final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
