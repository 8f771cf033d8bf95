package dev.align4j.recipes.experiment;

import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code align4j experiment probe}: what the demo's models encode about the event type and risk level,
 * by layer ({@link ProbeExperiment}), written to {@code results/probe/} with the exact commands.
 */
@Command(name = "probe", description = "Linear probes (event type, risk level) at every layer of the demo's base, SFT "
    + "and aligned models; writes probe.md, probe.csv, probe_layers.png and the commands under --out.")
public final class ProbeExperimentCommand implements Callable<Integer> {
  /** Alerts probed by {@code --quick}. */
  static final int QUICK_EXAMPLES = 120;

  @Mixin DeviceOption device;

  @ParentCommand ExperimentCommand parent;

  @Option(names = "--demo", defaultValue = "runs/demo", description = "the demo's run folder (default: ${DEFAULT-VALUE})")
  Path demo;

  @Option(names = "--out", defaultValue = "results/probe", description = "table, plot, commands (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--work", defaultValue = "runs/experiment/probe", description = "the alerts and each probe's own "
      + "output (default: ${DEFAULT-VALUE})")
  Path work;

  @Option(names = "--examples", description = "fresh alerts to probe (default: 400; --quick " + QUICK_EXAMPLES + ")")
  Integer examples;

  @Option(names = "--seed", defaultValue = "42", description = "the alerts' seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--quick", description = "a quick look: " + QUICK_EXAMPLES + " alerts")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    int n = examples != null ? examples : quick ? QUICK_EXAMPLES : 400;
    ProbeExperiment.Settings s = new ProbeExperiment.Settings(demo, out, work, n, seed,
        ExperimentCommand.device(parent, device));
    ProbeExperiment.run(s);
    ResultsIndex.writeCommand(out, "./align4j " + String.join(" ", ProbeExperiment.experimentArgs(s)));
    if (out.getParent() != null) {
      ResultsIndex.write(out.getParent());
    }
    System.out.println("wrote " + out.resolve("probe.md") + ", probe.csv, probe_layers.png, commands.txt");
    return 0;
  }

  /** {@code align4j experiment probe} with the defaults, for {@code experiment all}. */
  static int runDefault(Experiment.ExperimentContext ctx) {
    List<String> args = new ArrayList<>(List.of("experiment", "probe", "--demo", ctx.demo().toString(), "--out",
        Experiment.PROBE.dir(ctx.results()).toString()));
    if (ctx.quick()) {
      args.add("--quick");
    }
    if (ctx.device() != null) {
      args.addAll(List.of("--device", ctx.device()));
    }
    return Align4j.execute(args.toArray(String[]::new));
  }
}
