package dev.align4j.recipes.search;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j search --config S.yaml}. */
@Command(name = "search", description = "Hyper-parameter search over recipe keys (grid, random, Bayesian, genetic), "
    + "each trial a child run of a stage command in trials/NNN/; resumable.")
public final class SearchCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "YAML search spec") Path config;
  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    SearchSpec spec = SearchSpec.load(config);
    List<String> stageOptions = new ArrayList<>();
    if (device.name() != null) {
      DeviceOption.parse(device.name());      // a bad name fails here, naming the option, not in every trial
      stageOptions.addAll(List.of("--device", device.name()));
    }
    SearchRun.Result r = SearchRun.run(spec, TrialRunner.of(spec.runner()), stageOptions);
    if (r.stopped()) {
      return StopSignal.exitCode();
    }
    long pruned = r.trials().stream().filter(t -> t.status() == Trial.Status.PRUNED).count();
    long failed = r.trials().stream().filter(t -> t.status() == Trial.Status.FAILED).count();
    System.out.printf(Locale.ROOT, "search: %d trials (%d pruned, %d failed)%s; results in %s (results.md, results.csv, objective.png%s)%n",
        r.trials().size(), pruned, failed,
        r.best().map(b -> String.format(Locale.ROOT, ", best trial %03d: %s %.6g", b.index(), spec.metric(), b.objective())).orElse(""),
        r.outputDir(), r.best().isPresent() ? ", best_recipe.yaml" : "");
    return 0;
  }
}
