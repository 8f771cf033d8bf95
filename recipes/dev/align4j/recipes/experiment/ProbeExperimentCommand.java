package dev.align4j.recipes.experiment;

import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j experiment probe}: what the demo's models encode about the event type and risk level, by layer. */
@Command(name = "probe", description = "Linear probes (event type, risk level) at every layer of the demo's base, SFT "
    + "and aligned models; writes the table, plot and commands under --out.")
public final class ProbeExperimentCommand implements Callable<Integer> {
  @Mixin DeviceOption device;

  @Option(names = "--demo", defaultValue = "runs/demo", description = "the demo's run folder (default: ${DEFAULT-VALUE})")
  Path demo;

  @Option(names = "--out", defaultValue = "results/probe", description = "table, plot, commands (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--work", defaultValue = "runs/experiment/probe", description = "the alerts and each probe's own "
      + "output (default: ${DEFAULT-VALUE})")
  Path work;

  @Option(names = "--examples", defaultValue = "400", description = "fresh alerts to probe (default: ${DEFAULT-VALUE})")
  int examples;

  @Option(names = "--seed", defaultValue = "42", description = "the alerts' seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Override
  public Integer call() throws Exception {
    ProbeExperiment.run(new ProbeExperiment.Settings(demo, out, work, examples, seed, device.name()));
    System.out.println("wrote " + out.resolve("probe.md") + ", probe.csv, probe_layers.png, commands.txt");
    return 0;
  }
}
