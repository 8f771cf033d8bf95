package dev.align4j.peft.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training loop's progress display on stderr: step of max, ETA, loss, the objective's metrics and
 * tokens/s, shown by a {@link ProgressReporter} (a bar on a terminal, plain lines in files and pipes).
 */
public final class Progress implements AutoCloseable {
  private final ProgressReporter reporter;
  private final long max;

  /** A display for {@code task} up to {@code max} steps, starting at {@code start} (a resumed run). */
  public Progress(String task, long max, long start) {
    this.reporter = ProgressReporter.create(task);
    this.max = max;
    reporter.start(start, max);
  }

  /** Shows a finished step. */
  public void update(StepMetrics m) {
    reporter.update(m.step(), max, metrics(m));
  }

  /** loss, the objective's metrics, lr, tokens/s (when the objective counts tokens) and the gradient norm. */
  static Map<String, Double> metrics(StepMetrics m) {
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("loss", m.loss());
    out.putAll(m.metrics());
    out.put("lr", m.lr());
    if (m.tokensPerSecond() > 0) {
      out.put("tokens_per_second", m.tokensPerSecond());
    }
    out.put("grad_norm", m.gradNorm());
    return out;
  }

  @Override
  public void close() {
    reporter.close();
  }
}
