package dev.align4j.recipes.rm;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code align4j rm --config recipe.yaml [key=value ...]}, or {@code align4j rm --demo}. */
@Command(name = "rm", description = "Reward modelling from a YAML recipe (preference pairs, Bradley-Terry loss), "
    + "with key=value overrides; --demo trains one on the incident task's pairs.")
public final class RmCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML recipe") Path config;
  @Mixin DeviceOption device;
  @Option(names = "--keys", description = "print every recipe key (type, default, meaning) as a Markdown table and exit")
  boolean keys;
  @Option(names = "--demo", description = "train a reward model on the incident task's preference pairs (embedded "
      + "recipe, tiny model) and print held-out accuracy per pair kind")
  boolean demo;
  @Option(names = "--out", defaultValue = "runs/rm-demo", description = "--demo: working directory (default: ${DEFAULT-VALUE})")
  Path out;
  @Parameters(description = "key=value overrides") List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (keys) {
      System.out.print(RmRecipe.SCHEMA.markdownTable());
      return 0;
    }
    if (demo) {
      return RmDemo.run(out, overrides, device.device());
    }
    if (config == null && overrides.isEmpty()) {
      throw new IllegalArgumentException("give --config RECIPE.yaml (and/or key=value overrides), or --demo");
    }
    RmRecipe r = RmRecipe.load(config, overrides);
    RmRun.Summary s = RmRun.run(r, device.device());
    if (s.stopped()) {
      return StopSignal.exitCode();
    }
    var steps = s.result().steps();
    if (steps.isEmpty()) {
      System.out.println("nothing to do: the run in " + s.outputDir() + " already reached max_steps");
      return 0;
    }
    var last = steps.get(steps.size() - 1);
    System.out.printf("trained %d steps: loss %.4f -> %.4f, train accuracy %.3f; %s; reward mean %.4f std %.4f; "
            + "outputs in %s (%s, metrics.jsonl, loss.png, resolved_config.json)%n",
        steps.size(), steps.get(0).loss(), last.loss(), last.metrics().getOrDefault("accuracy", Double.NaN),
        Double.isNaN(s.evalAccuracy()) ? "no eval_dataset" : String.format("eval accuracy %.3f", s.evalAccuracy()),
        s.stats().mean(), s.stats().std(), s.outputDir(), r.finetuningType().savesAdapter() ? "adapter/" : "model/");
    return 0;
  }
}
