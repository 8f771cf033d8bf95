package dev.align4j.recipes.experiment;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code align4j experiment all}: runs {@code align4j demo} when its outputs are missing, then every
 * {@link Experiment} in order, and writes {@code results/README.md} listing each table and plot with
 * the command that regenerated it.
 */
@Command(name = "all", description = "Run the demo if its outputs are missing, then every experiment; writes"
    + " results/README.md listing each table and plot with its exact command.")
public final class AllCommand implements Callable<Integer> {
  @Option(names = "--demo", defaultValue = "runs/demo", description = "the `align4j demo` directory (default: ${DEFAULT-VALUE})")
  Path demo;
  @Option(names = "--results", defaultValue = "results", description = "the results root (default: ${DEFAULT-VALUE})")
  Path results;
  @Option(names = "--quick", description = "every experiment in its reduced configuration")
  boolean quick;
  @Mixin DeviceOption device;
  @ParentCommand ExperimentCommand parent;

  @Override
  public Integer call() throws Exception {
    String deviceName = parent == null ? device.name() : parent.deviceName(device);
    if (FrontierExperiment.demoInputs(demo).stream().anyMatch(p -> !Files.exists(p))) {
      System.out.println("== the demo's outputs are missing in " + demo + ": running `align4j demo --out " + demo + "`");
      List<String> args = new ArrayList<>(List.of("demo", "--out", demo.toString()));
      if (deviceName != null) {
        args.addAll(List.of("--device", deviceName));
      }
      int rc = Align4j.execute(args.toArray(String[]::new));
      if (rc != 0) {
        return rc;
      }
      FrontierExperiment.requireDemo(demo);
    }
    Experiment.ExperimentContext ctx = new Experiment.ExperimentContext(demo, results, quick, deviceName);
    for (Experiment e : Experiment.all()) {
      System.out.println("== experiment " + e.key() + ": " + e.title());
      int rc = e.run(ctx);
      if (rc != 0) {
        System.err.println("align4j: experiment " + e.key() + " failed (exit " + rc + ")");
        return rc;
      }
      if (StopSignal.requested()) {
        return StopSignal.exitCode();
      }
    }
    ResultsIndex.write(results);
    System.out.println("wrote " + results.resolve("README.md"));
    return 0;
  }
}
