package dev.align4j.recipes.rl;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code align4j ppo|grpo|rloo --config recipe.yaml [key=value ...]}: the shared body. */
public abstract class RlCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML recipe") Path config;
  @Mixin DeviceOption device;
  @Option(names = "--keys", description = "print every recipe key (type, default, meaning) as a Markdown table and exit")
  boolean keys;
  @Parameters(description = "key=value overrides") List<String> overrides = new ArrayList<>();
  @Option(names = "--demo", description = "the incident task after `align4j demo`: recipes/<command>_incident.yaml from"
      + " the SFT adapter in --demo-dir, into <demo-dir>-<command> (started afresh); prints the held-out judge score before and after and the KL to the SFT reference")
  boolean demo;
  @Option(names = "--demo-dir", defaultValue = "runs/demo", description = "the working directory of `align4j demo` (default: ${DEFAULT-VALUE})")
  Path demoDir;

  abstract RlRun.Kind kind();

  @Override
  public Integer call() throws Exception {
    if (keys) {
      System.out.print(RlRecipe.SCHEMA.markdownTable());
      return 0;
    }
    if (demo) {
      return RlDemo.run(kind(), demoDir, config, overrides, device.device());
    }
    RlRecipe r = RlRecipe.load(config, overrides);
    RlRun.Summary s = RlRun.run(kind(), r, device.device());
    if (s.result().stopped()) {
      return StopSignal.exitCode();
    }
    var rollouts = s.result().rollouts();
    if (rollouts.isEmpty()) {
      System.out.println("nothing to do: the run in " + s.outputDir() + " already reached max_steps");
      return 0;
    }
    Map<String, Double> first = rollouts.get(0);
    Map<String, Double> last = rollouts.get(rollouts.size() - 1);
    System.out.printf("%d steps over %d rollouts: reward %.4f -> %.4f, KL to the reference %.4f -> %.4f; outputs in %s"
        + " (adapter/, metrics.jsonl, reward.png, kl.png); RSS with the base model loaded %d MiB, peak %d MiB%n", s.result().steps().size(), rollouts.size(),
        first.get("objective/scores"), last.get("objective/scores"), first.get("objective/kl"), last.get("objective/kl"),
        s.outputDir(), s.baseRssMib(), s.peakRssMib());
    return 0;
  }

  /** {@code align4j grpo}. */
  @Command(name = "grpo", description = "GRPO (group-normalised advantages, TRL's loss) from a YAML recipe, with key=value overrides.")
  public static final class Grpo extends RlCommand {
    @Override
    RlRun.Kind kind() {
      return RlRun.Kind.GRPO;
    }
  }

  /** {@code align4j ppo}. */
  @Command(name = "ppo", description = "PPO (value adapter, GAE, KL penalty against the reference) from a YAML recipe, with key=value overrides.")
  public static final class Ppo extends RlCommand {
    @Override
    RlRun.Kind kind() {
      return RlRun.Kind.PPO;
    }
  }

  /** {@code align4j rloo}. */
  @Command(name = "rloo", description = "RLOO (leave-one-out baseline, sequence ratio) from a YAML recipe, with key=value overrides.")
  public static final class Rloo extends RlCommand {
    @Override
    RlRun.Kind kind() {
      return RlRun.Kind.RLOO;
    }
  }
}
