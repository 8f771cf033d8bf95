package dev.align4j.recipes.experiment;

import ai.djl.Device;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code align4j experiment frontier}: the reward-vs-KL frontier ({@link FrontierExperiment}), written
 * to {@code results/frontier/} as {@code frontier.csv}, {@code frontier.md} and {@code frontier.png}
 * with the exact command.
 */
@Command(name = "frontier", description = "Reward vs KL frontier on the incident task: PPO at several kl_coef and DPO"
    + " at several betas from the demo's SFT adapter, each measured halfway and at the end (held-out judge score vs"
    + " Monte-Carlo KL to the SFT reference); writes frontier.csv, frontier.md, frontier.png.")
public final class FrontierCommand implements Callable<Integer> {
  @Option(names = "--demo", defaultValue = "runs/demo", description = "the `align4j demo` directory (default: ${DEFAULT-VALUE})")
  Path demo;
  @Option(names = "--out", defaultValue = "results/frontier", description = "where the table and plot go (default: ${DEFAULT-VALUE})")
  Path out;
  @Option(names = "--work", defaultValue = "runs/experiments/frontier", description = "the runs' folders, rebuilt each time (default: ${DEFAULT-VALUE})")
  Path work;
  @Option(names = "--quick", description = "a quick look: one PPO and one DPO run, short, 32 held-out prompts")
  boolean quick;
  @Option(names = "--kl-coefs", split = ",", description = "PPO kl_coef values (default: 0.02,0.1,0.5; --quick 0.1)")
  List<Double> klCoefs;
  @Option(names = "--betas", split = ",", description = "DPO pref_beta values (default: 0.05,0.1,0.5; --quick 0.1)")
  List<Double> betas;
  @Option(names = "--ppo-steps", description = "PPO steps per run (default: 24; --quick 8)") Long ppoSteps;
  @Option(names = "--dpo-steps", description = "DPO steps per run (default: 40; --quick 10)") Long dpoSteps;
  @Option(names = "--pairs", description = "DPO training pairs (default: 480; --quick 160)") Integer pairs;
  @Option(names = "--eval-prompts", description = "held-out prompts evaluated, 0 = all (default: 96; --quick 32)") Integer evalPrompts;
  @Option(names = "--samples", description = "samples per held-out prompt for the KL (default: 4; --quick 2)") Integer samples;
  @Option(names = "--max-new-tokens", description = "longest evaluated completion (default: 48)") Integer maxNewTokens;
  @Option(names = "--seed", description = "training and sampling seed (default: 42)") Long seed;
  @Option(names = "--ppo", description = "a further key=value override of recipes/ppo_incident.yaml (repeatable)")
  List<String> ppoOverrides = new ArrayList<>();
  @Option(names = "--dpo", description = "a further key=value override of recipes/demo_dpo.yaml (repeatable)")
  List<String> dpoOverrides = new ArrayList<>();
  @Mixin DeviceOption device;
  @ParentCommand ExperimentCommand parent;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The configuration: the preset ({@code --quick} or full) with the options given on top. */
  FrontierConfig config() {
    FrontierConfig p = quick ? FrontierConfig.quick() : FrontierConfig.full();
    return new FrontierConfig(klCoefs != null ? klCoefs : p.klCoefs(), betas != null ? betas : p.betas(),
        ppoSteps != null ? ppoSteps : p.ppoSteps(), dpoSteps != null ? dpoSteps : p.dpoSteps(),
        pairs != null ? pairs : p.pairs(), evalPrompts != null ? evalPrompts : p.evalPrompts(),
        samples != null ? samples : p.samplesPerPrompt(), maxNewTokens != null ? maxNewTokens : p.maxNewTokens(), seed != null ? seed : p.seed(), ppoOverrides, dpoOverrides);
  }

  @Override
  public Integer call() throws Exception {
    FrontierConfig cfg = config();
    List<String> given = spec.commandLine().getParseResult().originalArgs();
    // the whole command line as typed (it starts with `experiment frontier` when run from the top)
    int at = given.indexOf("frontier");
    List<String> mine = at >= 0 && at < 2 ? given.subList(at + 1, given.size()) : given;
    String command = "./align4j experiment frontier" + (mine.isEmpty() ? "" : " " + String.join(" ", mine));
    long t0 = System.nanoTime();
    Device d = DeviceOption.parse(parent == null ? device.name() : parent.deviceName(device));
    List<FrontierPoint> points = FrontierExperiment.run(cfg, demo, work, d);
    if (points.isEmpty() || StopSignal.requested()) {
      System.err.println("align4j: frontier stopped; rerun the command to start it again");
      return StopSignal.exitCode();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    FrontierReport.write(points, cfg, command, seconds, out);
    ResultsIndex.writeCommand(out, command);
    if (out.getParent() != null) {
      ResultsIndex.write(out.getParent());
    }
    System.out.print(FrontierReport.markdown(points, cfg, command, seconds));
    System.out.printf("wrote %s, %s, %s (runs in %s)%n", out.resolve("frontier.csv"), out.resolve("frontier.md"),
        out.resolve("frontier.png"), work);
    return 0;
  }

  /** {@code align4j experiment frontier} with the defaults, for {@code experiment all}. */
  static int runDefault(Experiment.ExperimentContext ctx) {
    List<String> args = new ArrayList<>(List.of("experiment", "frontier", "--demo", ctx.demo().toString(), "--out",
        Experiment.FRONTIER.dir(ctx.results()).toString()));
    if (ctx.quick()) {
      args.add("--quick");
    }
    if (ctx.device() != null) {
      args.addAll(List.of("--device", ctx.device()));
    }
    return Align4j.execute(args.toArray(String[]::new));
  }
}
