package dev.align4j.peft.train;

import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The training progress bar on stderr: step of max, ETA, loss, the objective's metrics and tokens/s. */
public final class Progress implements AutoCloseable {
  private final ProgressBar bar;

  /** A bar for {@code task} up to {@code max} steps, starting at {@code start} (a resumed run). */
  public Progress(String task, long max, long start) {
    this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate()
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    bar.stepTo(start);
  }

  /** Shows a finished step. */
  public void update(StepMetrics m) {
    bar.stepTo(m.step());
    bar.setExtraMessage(message(m));
  }

  /** {@code loss 1.2345  acc 0.5000  812 tok/s} (tokens/s only when the objective counts tokens). */
  static String message(StepMetrics m) {
    StringBuilder sb = new StringBuilder(String.format("loss %.4f", m.loss()));
    for (Map.Entry<String, Double> e : m.metrics().entrySet()) {
      sb.append(String.format("  %s %.4f", e.getKey(), e.getValue()));
    }
    if (m.tokensPerSecond() > 0) {
      sb.append(String.format("  %.0f tok/s", m.tokensPerSecond()));
    }
    return sb.toString();
  }

  @Override
  public void close() {
    bar.close();
  }
}
