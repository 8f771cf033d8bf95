package dev.align4j.recipes.experiment;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.recipes.search.SearchRun;
import dev.align4j.recipes.search.Trial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code align4j experiment search}: the hyper-parameter search of {@code recipes/search_demo_sft.yaml}
 * on the demo's model and data ({@link SearchExperiment}), written to {@code results/search/} with the
 * spec as run and the exact command.
 */
@Command(name = "search", description = "Hyper-parameter search (recipes/search_demo_sft.yaml: Bayesian search over the"
    + " demo's LoRA SFT) on the demo's pre-trained model and data, afresh; writes results.md, results.csv,"
    + " objective.png, best_recipe.yaml, search_spec.yaml and command.txt under --out.")
public final class SearchExperimentCommand implements Callable<Integer> {
  /** Trials of {@code --quick}. */
  static final int QUICK_TRIALS = 4;
  /** Steps per trial of {@code --quick}. */
  static final long QUICK_STEPS = 30;

  @Option(names = "--demo", defaultValue = "runs/demo", description = "the `align4j demo` directory (default: ${DEFAULT-VALUE})")
  Path demo;
  @Option(names = "--spec", defaultValue = "recipes/search_demo_sft.yaml", description = "the search spec; its model and"
      + " data paths are replaced by the demo's (default: ${DEFAULT-VALUE})")
  Path spec;
  @Option(names = "--out", defaultValue = "results/search", description = "table, plot, best recipe, command (default:"
      + " ${DEFAULT-VALUE})")
  Path out;
  @Option(names = "--work", defaultValue = "runs/experiments/search", description = "the search's output_dir (trials/NNN,"
      + " search.jsonl), rebuilt each time (default: ${DEFAULT-VALUE})")
  Path work;
  @Option(names = "--trials", description = "number of trials (default: the spec's; --quick " + QUICK_TRIALS + ")")
  Integer trials;
  @Option(names = "--max-steps", description = "max_steps of every trial (default: the spec's; --quick " + QUICK_STEPS + ")")
  Long maxSteps;
  @Option(names = "--quick", description = "a quick look: " + QUICK_TRIALS + " trials of " + QUICK_STEPS + " steps")
  boolean quick;
  @Mixin DeviceOption device;
  @ParentCommand ExperimentCommand parent;

  @Override
  public Integer call() throws Exception {
    SearchExperiment.Settings s = new SearchExperiment.Settings(demo, spec, out, work,
        trials != null ? trials : quick ? Integer.valueOf(QUICK_TRIALS) : null,
        maxSteps != null ? maxSteps : quick ? Long.valueOf(QUICK_STEPS) : null, ExperimentCommand.device(parent, device));
    long t0 = System.nanoTime();
    SearchExperiment.Outcome o = SearchExperiment.run(s);
    SearchRun.Result r = o.result();
    if (r.stopped()) {
      System.err.println("align4j: the search stopped; rerun the command to start it again");
      return StopSignal.exitCode();
    }
    if (out.getParent() != null) {
      ResultsIndex.write(out.getParent());
    }
    System.out.print(Files.readString(out.resolve("results.md")));
    long pruned = r.trials().stream().filter(t -> t.status() == Trial.Status.PRUNED).count();
    long failed = r.trials().stream().filter(t -> t.status() == Trial.Status.FAILED).count();
    System.out.printf(Locale.ROOT, "%d trials (%d pruned, %d failed) in %.0f s; wrote %s (results.md, results.csv,"
        + " objective.png, best_recipe.yaml, %s, command.txt; trials in %s)%n", r.trials().size(), pruned, failed,
        (System.nanoTime() - t0) / 1e9, out, SearchExperiment.SPEC_AS_RUN, work);
    return 0;
  }

  /** {@code align4j experiment search} with the defaults, for {@code experiment all}. */
  static int runDefault(Experiment.ExperimentContext ctx) {
    List<String> args = new ArrayList<>(List.of("experiment", "search", "--demo", ctx.demo().toString(), "--out",
        Experiment.SEARCH.dir(ctx.results()).toString()));
    if (ctx.quick()) {
      args.add("--quick");
    }
    if (ctx.device() != null) {
      args.addAll(List.of("--device", ctx.device()));
    }
    return Align4j.execute(args.toArray(String[]::new));
  }
}
