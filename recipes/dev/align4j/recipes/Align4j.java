package dev.align4j.recipes;

import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.bench.BenchCommand;
import dev.align4j.recipes.cli.ChatTemplateCommand;
import dev.align4j.recipes.cli.DpoLossEvalCommand;
import dev.align4j.recipes.cli.GenerateCommand;
import dev.align4j.recipes.cli.InfoCommand;
import dev.align4j.recipes.cli.LogprobsCommand;
import dev.align4j.recipes.cli.MergeCommand;
import dev.align4j.recipes.cli.ProbeCommand;
import dev.align4j.recipes.cli.TinyCommand;
import dev.align4j.recipes.cli.TokenizeCommand;
import dev.align4j.recipes.cli.TourCommand;
import dev.align4j.recipes.data.DataCommand;
import dev.align4j.recipes.demo.DemoCommand;
import dev.align4j.recipes.dpo.DpoCommand;
import dev.align4j.recipes.dpo.KtoCommand;
import dev.align4j.recipes.dpo.OrpoCommand;
import dev.align4j.recipes.dpo.SimpoCommand;
import dev.align4j.recipes.experiment.ExperimentCommand;
import dev.align4j.recipes.pipeline.PipelineCommand;
import dev.align4j.recipes.rl.RlCommand;
import dev.align4j.recipes.rm.EvalRmCommand;
import dev.align4j.recipes.rm.RmCommand;
import dev.align4j.recipes.rm.ScoreCommand;
import dev.align4j.recipes.search.SearchCommand;
import dev.align4j.recipes.sft.MultiTaskCommand;
import dev.align4j.recipes.sft.PtCommand;
import dev.align4j.recipes.sft.SftCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.ExecutionException;
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
      TourCommand.class,
      DemoCommand.class,
      MergeCommand.class,
      SftCommand.class,
      PtCommand.class,
      DpoCommand.class,
      KtoCommand.class,
      OrpoCommand.class,
      SimpoCommand.class,
      RmCommand.class,
      ScoreCommand.class,
      EvalRmCommand.class,
      RlCommand.Ppo.class,
      RlCommand.Grpo.class,
      RlCommand.Rloo.class,
      DataCommand.class,
      BenchCommand.class,
      TokenizeCommand.class,
      ChatTemplateCommand.class,
      DpoLossEvalCommand.class,
      SearchCommand.class,
      ProbeCommand.class,
      MultiTaskCommand.class,
      ExperimentCommand.class,
      PipelineCommand.class,
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
    CommandLine cl = commandLine();
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof StopSignal.Stopped) {
        line.getErr().println("align4j: " + ex.getMessage());
        return StopSignal.exitCode();
      }
      line.getErr().println("align4j: error: " + describe(ex));
      if (System.getenv("ALIGN4J_DEBUG") != null) {
        ex.printStackTrace(line.getErr());
      }
      return 1;
    });
    int rc = cl.execute(args);
    // a command that finished although a stop was requested still reports the signal
    return rc == 0 && StopSignal.requested() ? StopSignal.exitCode() : rc;
  }

  /** The command tree, with {@code --help} and {@code --version} on every command and subcommand. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Align4j());
    addHelp(cl);
    return cl;
  }

  private static void addHelp(CommandLine cl) {
    if (cl.getCommandSpec().optionsMap().get("--help") == null) {
      cl.getCommandSpec().mixinStandardHelpOptions(true);
    }
    cl.getSubcommands().values().forEach(Align4j::addHelp);
  }

  /**
   * An error for the user: the message of the errors align4j raises on bad input (they name the file,
   * line, key or tensor), else the exception's type and message, never a bare "null".
   */
  static String describe(Throwable ex) {
    Throwable t = ex;
    while ((t instanceof UncheckedIOException || t instanceof ExecutionException
        || t instanceof InvocationTargetException) && t.getCause() != null) {
      t = t.getCause();
    }
    String msg = t.getMessage();
    boolean plain = msg != null && !msg.isBlank() && (t.getClass() == IllegalArgumentException.class
        || t.getClass() == IOException.class || t instanceof CheckpointFormatException);
    if (plain) {
      return msg;
    }
    String type = t.getClass().getName().startsWith("java.") ? t.getClass().getSimpleName() : t.getClass().getName();
    if (msg == null || msg.isBlank()) {
      StackTraceElement[] st = t.getStackTrace();
      return type + (st.length > 0 ? " at " + st[0] : "") + " (ALIGN4J_DEBUG=1 prints the stack trace)";
    }
    return type + ": " + msg;
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
