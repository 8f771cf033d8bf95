package dev.align4j.recipes;

import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.GenerateCommand;
import dev.align4j.recipes.cli.InfoCommand;
import dev.align4j.recipes.cli.LogprobsCommand;
import dev.align4j.recipes.cli.TinyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code align4j} command line. */
@Command(
    name = "align4j",
    mixinStandardHelpOptions = true,
    version = "align4j 0.1.0",
    description = "SFT, reward modelling, PPO and DPO for open LLMs on the JVM.",
    subcommands = {
      InfoCommand.class,
      GenerateCommand.class,
      LogprobsCommand.class,
      TinyCommand.class,
      dev.align4j.recipes.cli.TourCommand.class,
      dev.align4j.recipes.demo.DemoCommand.class,
      dev.align4j.recipes.cli.MergeCommand.class,
      dev.align4j.recipes.sft.SftCommand.class,
      dev.align4j.recipes.sft.PtCommand.class,
      dev.align4j.recipes.data.DataCommand.class,
      dev.align4j.recipes.bench.BenchCommand.class,
    })
public final class Align4j implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs a command line and returns its exit code (no System.exit, for tests). */
  public static int execute(String... args) {
    Torch.configureOffline();
    CommandLine cl = new CommandLine(new Align4j());
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof StopSignal.Stopped) {
        line.getErr().println("align4j: " + ex.getMessage());
        return StopSignal.exitCode();
      }
      line.getErr().println("align4j: error: " + ex.getMessage());
      if (System.getenv("ALIGN4J_DEBUG") != null) {
        ex.printStackTrace(line.getErr());
      }
      return 1;
    });
    int rc = cl.execute(args);
    // a command that finished although a stop was requested still reports the signal
    return rc == 0 && StopSignal.requested() ? StopSignal.exitCode() : rc;
  }

  /**
   * Entry point. SIGINT/SIGTERM stop training at a safe point (see {@link StopSignal}); the exit
   * below runs only once {@link #execute} has returned, when no thread is inside libtorch.
   */
  public static void main(String[] args) {
    StopSignal.install();
    System.exit(execute(args));
  }
}
