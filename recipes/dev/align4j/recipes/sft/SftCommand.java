package dev.align4j.recipes.sft;

import dev.align4j.peft.train.StopSignal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import dev.align4j.recipes.cli.DeviceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code align4j sft --config recipe.yaml [key=value ...]}. */
@Command(name = "sft", description = "Supervised fine-tuning from a YAML recipe (LLaMA-Factory key names), with key=value overrides.")
public final class SftCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML recipe") Path config;
  @Mixin DeviceOption device;
  @Option(names = "--keys", description = "print every recipe key (type, default, meaning) as a Markdown table and exit")
  boolean keys;
  @Parameters(description = "key=value overrides") List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (keys) {
      System.out.print(SftRecipe.SCHEMA.markdownTable());
      return 0;
    }
    SftRecipe r = SftRecipe.load(config, overrides);
    SftRun.Summary s = SftRun.run(r, device.device());
    if (s.stopped()) {
      return StopSignal.exitCode();
    }
    var steps = s.result().steps();
    if (!steps.isEmpty()) {
      System.out.printf("trained %d steps: loss %.4f -> %.4f; outputs in %s (metrics.jsonl, loss.png, %s, resolved_config.json)%n",
          steps.size(), steps.get(0).loss(), steps.get(steps.size() - 1).loss(), s.outputDir(),
          r.finetuningType().savesAdapter() ? "adapter/" : "model/");
    } else {
      System.out.println("nothing to do: the run in " + s.outputDir() + " already reached max_steps");
    }
    return 0;
  }
}
