package dev.align4j.peft.train;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A clean stop on SIGINT (Ctrl-C) and SIGTERM.
 *
 * <p>Why not the JVM's own handling: on those signals the JVM runs its shutdown and then {@code exit()},
 * which runs libtorch's C++ static destructors while the main thread may still be inside libtorch
 * (a long {@code backward}); the JVM then dies with SIGSEGV/SIGABRT and writes an {@code hs_err}
 * file. Nothing may exit the process while a thread is in libtorch.
 *
 * <p>So {@link #install()} (called by the CLI's main, not by library code) replaces both handlers:
 * <ul>
 *   <li>inside a {@link #graceful()} region (the training commands, the trainer's step loop) the first
 *       signal only records a stop request; the code there polls {@link #requested()} at safe points
 *       (the trainer after each optimizer step, data loading per record), finishes the step in flight,
 *       writes a checkpoint and returns, and the main exits with {@link #exitCode()} (130 for SIGINT,
 *       143 for SIGTERM) once no thread is in libtorch;</li>
 *   <li>outside such a region, and for a second signal, the process quits at once: the handler
 *       restores the signal's default action and has the signal sent again ({@code /bin/sh -c kill}:
 *       Java itself can raise only signals it handles), so the kernel ends the process
 *       (status 128 + signal, as a shell reports it). No Java or C++ code runs after that point, so
 *       nothing can crash; what is lost is only the work since the last checkpoint, exactly as after
 *       SIGKILL, which the atomic checkpoints are made for (files are written to a temporary name
 *       and renamed, so none is ever half-written).</li>
 * </ul>
 * A signal that was ignored when the JVM started (a process started with {@code nohup}, or in the
 * background of a non-interactive shell) stays ignored.
 */
public final class StopSignal {
  /** Set {@code ALIGN4J_STOP_CHECKPOINT=false} to stop without writing a checkpoint of the steps since the last one. */
  public static final String CHECKPOINT_ENV = "ALIGN4J_STOP_CHECKPOINT";

  private static final AtomicInteger GRACEFUL = new AtomicInteger();
  private static volatile Signal received;
  private static boolean installed;
  private static Thread main;

  private StopSignal() {}

  /** Thrown at a polling point outside the trainer (data loading) once a stop was requested. */
  public static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped(String message) {
      super(message);
    }
  }

  /** A region in which the first signal requests a stop instead of quitting; closing it never throws. */
  public interface Region extends AutoCloseable {
    @Override
    void close();
  }

  /** Installs the SIGINT and SIGTERM handlers (idempotent). For mains only: it changes the whole process. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    main = Thread.currentThread();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        Signal.handle(new Signal(name), StopSignal::onSignal);
      } catch (IllegalArgumentException e) {
        // reserved by the JVM (-Xrs): keep the JVM's behaviour for this signal
      }
    }
  }

  /** Opens a region whose code polls {@link #requested()}; regions nest. */
  public static Region graceful() {
    GRACEFUL.incrementAndGet();
    return GRACEFUL::decrementAndGet;
  }

  /** Whether a stop was requested by a signal. */
  public static boolean requested() {
    return received != null;
  }

  /** Throws {@link Stopped} when a stop was requested: a polling point for code that has nothing to save. */
  public static void check(String during) {
    Signal s = received;
    if (s != null) {
      throw new Stopped("stopped by SIG" + s.getName() + " during " + during);
    }
  }

  /** The exit status for the requested stop: 128 + the signal's number (130 SIGINT, 143 SIGTERM); 0 if none. */
  public static int exitCode() {
    Signal s = received;
    return s == null ? 0 : 128 + s.getNumber();
  }

  /** The name of the signal that requested the stop ({@code SIGINT}, {@code SIGTERM}), or an empty string. */
  public static String signalName() {
    Signal s = received;
    return s == null ? "" : "SIG" + s.getName();
  }

  /** Whether a stopping trainer writes a checkpoint of its last step (env {@value #CHECKPOINT_ENV}, default true). */
  public static boolean checkpointOnStop() {
    String v = System.getenv(CHECKPOINT_ENV);
    return v == null || !(v.equalsIgnoreCase("false") || v.equals("0") || v.equalsIgnoreCase("no"));
  }

  private static void onSignal(Signal s) {
    synchronized (StopSignal.class) {
      if (received == null && GRACEFUL.get() > 0) {
        String where = where();     // before the request is visible: the main thread acts on it at once
        received = s;
        System.err.printf("%nalign4j: SIG%s%s: stopping after the current step%s; send it again to quit at once%n",
            s.getName(), where, checkpointOnStop() ? " and saving a checkpoint" : "");
        return;
      }
    }
    quitNow(s);
  }

  /**
   * Where the main thread was when the signal came: its innermost align4j frame; with
   * {@code ALIGN4J_DEBUG} set, its whole stack (the signal tests classify the training phase from it).
   */
  private static String where() {
    Thread t = main;
    if (t == null) {
      return "";
    }
    StackTraceElement[] stack = t.getStackTrace();   // safe: a thread in native code has a walkable Java stack
    StringBuilder sb = new StringBuilder();
    for (StackTraceElement e : stack) {
      if (e.getClassName().startsWith("dev.align4j.")) {
        String cls = e.getClassName();
        sb.append(" (in ").append(cls.substring(cls.lastIndexOf('.') + 1)).append('.').append(e.getMethodName()).append(')');
        break;
      }
    }
    if (System.getenv("ALIGN4J_DEBUG") != null) {
      sb.append(System.lineSeparator()).append("align4j: main thread at:");
      for (StackTraceElement e : stack) {
        sb.append(System.lineSeparator()).append("    ").append(e);
      }
    }
    return sb.toString();
  }

  /** Ends the process by the signal's default action: the kernel stops every thread, no exit code runs. */
  private static void quitNow(Signal s) {
    System.err.printf("%nalign4j: SIG%s: quitting now (training resumes from its last checkpoint)%n", s.getName());
    System.err.flush();
    long pid = ProcessHandle.current().pid();
    Signal.handle(s, SignalHandler.SIG_DFL);
    try {
      // Signal.raise only raises signals that have a Java handler, and Runtime.halt runs the same
      // exit-time destructors as System.exit: the signal has to come back from another process
      new ProcessBuilder("/bin/sh", "-c", "kill -" + s.getName() + " " + pid)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      Thread.sleep(30_000);     // the signal ends the process meanwhile
    } catch (IOException e) {
      // no shell: fall through
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Signal.handle(s, StopSignal::onSignal);
    System.err.printf("align4j: could not quit by SIG%s; kill -KILL %d ends the process%n", s.getName(), pid);
  }
}
