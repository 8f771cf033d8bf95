package dev.align4j.recipes.dpo;

import dev.align4j.recipes.demo.DpoDemo;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j dpo --config recipe.yaml [key=value ...]}, or {@code align4j dpo --demo}. */
@Command(name = "dpo", description = "Direct preference optimisation (and its loss family) from a YAML recipe, with key=value overrides; --demo: DPO of the demo's SFT policy on the incident task's preference pairs.")
public final class DpoCommand extends PreferenceCommand {
  @Option(names = "--demo", description = "DPO of an `align4j demo` run's SFT policy on the incident pairs; prints held-out scores before and after")
  boolean demo;
  @Option(names = "--from", defaultValue = "runs/demo", description = "--demo: the `align4j demo` directory (default: ${DEFAULT-VALUE})")
  Path from;
  @Option(names = "--out", defaultValue = "runs/demo-dpo", description = "--demo: working directory (default: ${DEFAULT-VALUE})")
  Path out;
  @Option(names = "--steps", defaultValue = "60", description = "--demo: DPO steps (default: ${DEFAULT-VALUE})")
  long steps;
  @Option(names = "--pairs", defaultValue = "480", description = "--demo: training pairs (default: ${DEFAULT-VALUE})")
  int pairs;

  @Override
  Stage stage() {
    return Stage.DPO;
  }

  @Override
  public Integer call() throws Exception {
    if (demo) {
      return DpoDemo.run(from, out, steps, pairs, 42, device.device());
    }
    return super.call();
  }
}
