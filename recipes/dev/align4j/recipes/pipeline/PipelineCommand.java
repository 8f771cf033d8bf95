package dev.align4j.recipes.pipeline;

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

/** {@code align4j pipeline --config P.yaml [key=value ...]}: every stage in order, resumable, one report. */
@Command(name = "pipeline", description = "Run a pipeline recipe's stages in order (data, pt, sft, rm, dpo, ppo, grpo,"
    + " ..., eval), each stage's outputs feeding the next; a rerun skips finished stages and resumes the one that"
    + " stopped; report.md and report.json at the end.")
public final class PipelineCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "pipeline recipe (YAML)") Path config;
  @Mixin DeviceOption device;
  @Parameters(description = "overrides: output_dir=DIR, seed=N, STAGE.KEY=VALUE, STAGE.recipe=FILE")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PipelineRun.Result r = PipelineRun.run(PipelineRecipe.load(config, overrides), device.device());
    return r.stopped() ? StopSignal.exitCode() : 0;
  }
}
