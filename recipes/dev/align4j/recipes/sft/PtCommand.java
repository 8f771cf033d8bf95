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

/**
 * {@code align4j pt}: continued pre-training on plain text ({@code {"text": ...}} lines), the same
 * machinery as {@code sft} with {@code formatting=text} and, unless the recipe says otherwise, full
 * fine-tuning.
 */
@Command(name = "pt", description = "Continued pre-training on plain text from a YAML recipe (as sft, formatting=text).")
public final class PtCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML recipe") Path config;
  @Mixin DeviceOption device;
  @Parameters(description = "key=value overrides") List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    // pt defaults apply where the recipe file is silent; explicit overrides win over both
    List<String> all = new ArrayList<>();
    var fileKeys = SftRecipe.keysIn(config);
    if (!fileKeys.contains("formatting")) {
      all.add("formatting=text");
    }
    if (!fileKeys.contains("finetuning_type")) {
      all.add("finetuning_type=full");
    }
    all.addAll(overrides);
    SftRecipe r = SftRecipe.load(config, all);
    SftRun.Summary s = SftRun.run(r, device.device());
    if (s.stopped()) {
      return StopSignal.exitCode();
    }
    var steps = s.result().steps();
    System.out.printf("continued pre-training: %d steps%s; outputs in %s%n", steps.size(),
        steps.isEmpty() ? "" : String.format(", loss %.4f -> %.4f", steps.get(0).loss(), steps.get(steps.size() - 1).loss()),
        s.outputDir());
    return 0;
  }
}
