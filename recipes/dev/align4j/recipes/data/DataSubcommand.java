package dev.align4j.recipes.data;

import dev.align4j.peft.data.DataFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** Shared plumbing of the data subcommands: output streams and turning bad input into exit code 1. */
abstract class DataSubcommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (DataFormatException | IllegalArgumentException e) {
      err().println("error: " + e.getMessage());
      return 1;
    } catch (IOException | UncheckedIOException e) {
      err().println("I/O error: " + e.getMessage());
      return 1;
    } finally {
      out().flush();
      err().flush();
    }
  }

  /** Runs the command; the exit code is returned. */
  abstract int execute() throws IOException;
}
