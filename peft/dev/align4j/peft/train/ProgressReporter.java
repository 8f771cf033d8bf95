package dev.align4j.peft.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Training progress for people: on a terminal a bar that redraws in place; to a file or a pipe (CI,
 * {@code nohup}, {@code tee}) one plain line every few seconds ({@code step/max, metrics, tokens/s,
 * ETA}), never thousands of carriage-return updates. {@link #create} picks the mode from {@link
 * System#console()}; {@code ALIGN4J_PROGRESS=bar|lines} overrides it.
 */
public final class ProgressReporter implements AutoCloseable {
  /** How progress is shown. */
  public enum Mode {
    /** A bar redrawn in place (carriage returns): for a terminal. */
    BAR,
    /** A plain line every {@code interval}, and at the first and last step: for files and pipes. */
    LINES
  }

  /** Plain lines at most this often by default. */
  public static final long DEFAULT_INTERVAL_MILLIS = 5_000;

  private final String task;
  private final Mode mode;
  private final PrintStream out;
  private final long intervalNanos;
  private final LongSupplier clock;
  private ProgressBar bar;
  private long startNanos = -1;
  private long startStep;
  private long lastLineNanos;
  private long lastStep = -1;
  private long lastPrintedStep = -1;
  private long lastMax;
  private Map<String, Double> lastMetrics = Map.of();

  /**
   * @param task the name shown first ("sft")
   * @param intervalMillis the least time between two plain lines
   * @param clock nanoseconds (System::nanoTime; tests pass a fake)
   */
  public ProgressReporter(String task, Mode mode, PrintStream out, long intervalMillis, LongSupplier clock) {
    this.task = task;
    this.mode = mode;
    this.out = out;
    this.intervalNanos = intervalMillis * 1_000_000L;
    this.clock = clock;
  }

  /** A reporter on stderr: a bar on a terminal, plain lines every 5 s otherwise. */
  public static ProgressReporter create(String task) {
    return new ProgressReporter(task, defaultMode(System.getenv("ALIGN4J_PROGRESS"), System.console() != null),
        System.err, DEFAULT_INTERVAL_MILLIS, System::nanoTime);
  }

  /** The mode for an {@code ALIGN4J_PROGRESS} value (may be null) and whether there is a terminal. */
  static Mode defaultMode(String env, boolean terminal) {
    if (env != null && !env.isBlank()) {
      return switch (env.trim().toLowerCase(Locale.ROOT)) {
        case "bar" -> Mode.BAR;
        case "lines", "plain" -> Mode.LINES;
        default -> throw new IllegalArgumentException("ALIGN4J_PROGRESS must be bar or lines, got '" + env + "'");
      };
    }
    return terminal ? Mode.BAR : Mode.LINES;
  }

  /** The mode in use. */
  public Mode mode() {
    return mode;
  }

  /** Starts at {@code step} of {@code max} (a resumed run starts where its checkpoint was). */
  public void start(long step, long max) {
    startNanos = clock.getAsLong();
    startStep = step;
    lastStep = step;
    lastMax = max;
    lastLineNanos = startNanos;
    if (mode == Mode.BAR) {
      bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(500).continuousUpdate().setConsumer(new ConsoleProgressBarConsumer(out)).build();
      bar.stepTo(step);
    }
  }

  /**
   * Reports that {@code step} of {@code max} is done, with named metrics ({@code loss}, {@code lr},
   * {@code tokens_per_second}, {@code grad_norm}, ... shown in this order when present, then the rest
   * in the map's order).
   */
  public void update(long step, long max, Map<String, Double> metrics) {
    if (startNanos < 0) {
      start(Math.max(0, step - 1), max);
    }
    long now = clock.getAsLong();
    boolean first = lastPrintedStep < 0;
    lastStep = step;
    lastMax = max;
    lastMetrics = metrics;
    if (mode == Mode.BAR) {
      bar.maxHint(max);
      bar.stepTo(step);
      bar.setExtraMessage(describe(metrics, false));
      return;
    }
    if (first || step >= max || now - lastLineNanos >= intervalNanos) {
      printLine(now);
    }
  }

  private void printLine(long now) {
    lastLineNanos = now;
    lastPrintedStep = lastStep;
    StringBuilder b = new StringBuilder(task).append(" step ").append(lastStep).append('/').append(lastMax);
    b.append(String.format(Locale.ROOT, " (%.0f%%)", lastMax > 0 ? 100.0 * lastStep / lastMax : 0));
    String m = describe(lastMetrics, true);
    if (!m.isEmpty()) {
      b.append("  ").append(m);
    }
    double elapsed = (now - startNanos) / 1e9;
    b.append("  elapsed ").append(duration(elapsed));
    long done = lastStep - startStep;
    if (done > 0 && lastStep < lastMax) {
      b.append("  ETA ").append(duration(elapsed / done * (lastMax - lastStep)));
    }
    out.println(b);
    out.flush();
  }

  static String describe(Map<String, Double> metrics, boolean withRate) {
    StringBuilder b = new StringBuilder();
    for (String k : new String[] {"loss", "lr", "tokens_per_second", "grad_norm"}) {
      if (metrics.containsKey(k) && (withRate || !k.equals("grad_norm"))) {
        append(b, k, metrics.get(k));
      }
    }
    metrics.forEach((k, v) -> {
      if (!k.equals("loss") && !k.equals("lr") && !k.equals("tokens_per_second") && !k.equals("grad_norm")) {
        append(b, k, v);
      }
    });
    return b.toString().trim();
  }

  private static void append(StringBuilder b, String k, Double v) {
    if (v == null) {
      return;
    }
    b.append("  ");
    switch (k) {
      case "lr" -> b.append(String.format(Locale.ROOT, "lr %.2e", v));
      case "tokens_per_second" -> b.append(String.format(Locale.ROOT, "%.0f tok/s", v));
      default -> b.append(k).append(' ').append(String.format(Locale.ROOT, Math.abs(v) >= 1e4 ? "%.4g" : "%.4f", v));
    }
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
    }
    return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }

  /** Ends the display: the last plain line if it was not printed, or the finished bar. */
  @Override
  public void close() {
    if (mode == Mode.BAR) {
      if (bar != null) {
        bar.close();
      }
    } else if (startNanos >= 0 && lastStep != lastPrintedStep && lastStep > startStep) {
      printLine(clock.getAsLong());
    }
  }
}
