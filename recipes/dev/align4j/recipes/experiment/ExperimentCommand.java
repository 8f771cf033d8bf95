package dev.align4j.recipes.experiment;

import picocli.CommandLine.Command;

/** {@code align4j experiment NAME}: experiments that regenerate the repository's results under {@code results/}. */
@Command(name = "experiment", description = "Regenerate an experiment's tables and plots under results/.",
    subcommands = {ProbeExperimentCommand.class})
public final class ExperimentCommand implements Runnable {
  @Override
  public void run() {
    throw new IllegalArgumentException("name an experiment: probe");
  }
}
