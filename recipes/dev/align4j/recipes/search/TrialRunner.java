package dev.align4j.recipes.search;

import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Runs one trial: {@code align4j <stage> --config R.yaml key=value...} into its folder. */
public interface TrialRunner {
  /**
   * Runs the child and returns its exit status.
   *
   * @param args the child's command line after {@code align4j}
   * @param dir the trial's folder (logs go there)
   * @param stop polled while the child runs: true asks it to stop (the pruner's decision)
   */
  Outcome run(List<String> args, Path dir, BooleanSupplier stop) throws IOException;

  /**
   * What a child run ended with.
   *
   * @param exitCode its exit status
   * @param stoppedByUs whether the runner stopped it because {@code stop} said so
   * @param error the last line of its error output when it failed, else empty
   */
  record Outcome(int exitCode, boolean stoppedByUs, String error) {}

  /** The runner for a spec. */
  static TrialRunner of(SearchSpec.Runner kind) {
    return kind == SearchSpec.Runner.IN_PROCESS ? new InProcess() : new Subprocess();
  }

  /** In this JVM through {@link Align4j#execute}; cannot stop a child early (the pruner's verdict applies afterwards). */
  final class InProcess implements TrialRunner {
    @Override
    public Outcome run(List<String> args, Path dir, BooleanSupplier stop) {
      int rc = Align4j.execute(args.toArray(String[]::new));
      return new Outcome(rc, false, rc == 0 ? "" : "exit status " + rc + " (the error is printed above)");
    }
  }

  /**
   * A child JVM with this JVM's java, class path, {@code -D} properties and {@code -Xmx}; output to
   * {@code stdout.log}/{@code stderr.log} in the trial folder. A stop is SIGTERM, which the child
   * turns into a checkpoint and exit 143; a stop of the search itself is forwarded the same way. The
   * child runs in its own session ({@code setsid}) when the tool is there; without it, it shares the
   * terminal's process group and gets a Ctrl-C directly, so nothing is forwarded.
   */
  final class Subprocess implements TrialRunner {
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    @Override
    public Outcome run(List<String> args, Path dir, BooleanSupplier stop) throws IOException {
      Files.createDirectories(dir);
      List<String> cmd = new ArrayList<>();
      // its own session: a Ctrl-C at the terminal reaches only the search, which forwards exactly one
      // SIGTERM (a child that got both would take the second as "quit at once")
      Optional<Path> setsid = SETSID.stream().filter(Files::isExecutable).findFirst();
      setsid.ifPresent(x -> cmd.addAll(List.of(x.toString(), "--wait")));   // --wait: the exit status even if setsid had to fork
      cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (a.startsWith("-D") || a.startsWith("-Xmx")) {
          cmd.add(a);
        }
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Align4j.class.getName()));
      cmd.addAll(args);
      Path err = dir.resolve("stderr.log");
      Process p = new ProcessBuilder(cmd)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()))
          .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
          .start();
      boolean stopped = false;
      boolean forwarded = false;
      try {
        while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
          if (!stopped && !forwarded && stop.getAsBoolean()) {
            stopped = true;
            p.destroy();                 // SIGTERM: the child finishes its step, checkpoints, exits 143
          }
          if (!forwarded && StopSignal.requested() && setsid.isPresent()) {
            forwarded = true;
            p.destroy();
          }
        }
      } catch (InterruptedException e) {
        p.destroy();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while trial " + dir + " ran", e);
      }
      int rc = p.exitValue();
      String last = "";
      if (rc != 0 && !stopped && Files.exists(err)) {
        List<String> lines = Files.readAllLines(err).stream().filter(l -> !l.isBlank()).toList();
        last = lines.isEmpty() ? "exit status " + rc : lines.get(lines.size() - 1).trim() + " (" + err + ")";
      }
      return new Outcome(rc, stopped, last);
    }
  }
}
