package dev.align4j.recipes.dpo;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code align4j dpo|kto|orpo|simpo} share: a recipe, overrides, the device, {@code --keys}. */
abstract class PreferenceCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML recipe") Path config;
  @Mixin DeviceOption device;
  @Option(names = "--keys", description = "print every recipe key (type, default, meaning) as a Markdown table and exit")
  boolean keys;
  @Parameters(description = "key=value overrides") List<String> overrides = new ArrayList<>();

  /** The stage this command trains. */
  abstract Stage stage();

  @Override
  public Integer call() throws Exception {
    if (keys) {
      System.out.print(DpoRecipe.SCHEMA.markdownTable());
      return 0;
    }
    DpoRecipe r = DpoRecipe.load(config, overrides);
    DpoRun.Summary s = DpoRun.run(stage(), r, device.device());
    if (s.stopped()) {
      return StopSignal.exitCode();
    }
    var steps = s.result().steps();
    if (steps.isEmpty()) {
      System.out.println("nothing to do: the run in " + s.outputDir() + " already reached max_steps");
      return 0;
    }
    Map<String, Double> last = steps.get(steps.size() - 1).metrics();
    System.out.printf("trained %d steps: loss %.4f -> %.4f%s; outputs in %s (metrics.jsonl, loss.png, rewards.png, %s,"
            + " resolved_config.json)%n", steps.size(), steps.get(0).loss(), steps.get(steps.size() - 1).loss(),
        last.containsKey("rewards/accuracies") ? String.format(", reward accuracy %.3f, margin %.4f",
            last.get("rewards/accuracies"), last.get("rewards/margins")) : "",
        s.outputDir(), r.finetuningType() == PrefTuning.FULL ? "model/" : "adapter/");
    return 0;
  }
}
