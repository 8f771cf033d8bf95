package dev.align4j.recipes.experiment;

import dev.align4j.recipes.cli.DeviceOption;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code align4j experiment frontier|probe|search|all}: experiments that regenerate the tables and plots under {@code results/}. */
@Command(name = "experiment", description = "Experiments that regenerate results/ (tables, plots, exact commands):"
    + " frontier (reward vs KL of PPO and DPO), probe (linear probes by layer of the demo's models), search"
    + " (hyper-parameter search over the demo's SFT), all (the demo if missing, then every experiment).",
    subcommands = {FrontierCommand.class, ProbeExperimentCommand.class, SearchExperimentCommand.class,
        AllCommand.class})
public final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  /** Before the subcommand ({@code experiment --device cpu frontier}): the default of its own --device. */
  @Mixin DeviceOption device;

  /** The device name a subcommand uses: its own {@code --device}, else this one's (null: the default). */
  String deviceName(DeviceOption own) {
    return own.name() != null ? own.name() : device.name();
  }

  /** {@code own} when given, else the {@code --device} given before the experiment's name (null: the default). */
  static String device(ExperimentCommand parent, DeviceOption own) {
    return parent == null ? own.name() : parent.deviceName(own);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
