package dev.align4j.recipes;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Exit code, stdout and stderr of one in-process {@code align4j} command line (what the tests of the CLI
 * read: the code a shell would see and the messages a user would).
 */
public record CliRun(int rc, String out, String err) {
  /** Runs {@code args} through {@link Align4j#execute}, capturing both streams. */
  public static CliRun of(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int rc = Align4j.execute(args);
      return new CliRun(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** {@link #of} with the arguments of a list. */
  public static CliRun of(List<String> args) {
    return of(args.toArray(String[]::new));
  }
}
