package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per logged step ({@code step}, {@code loss}, {@code lr},
 * {@code grad_norm}, the objective's count, {@code tokens_per_s}, {@code rss_mib}, the objective's
 * named metrics, plus evaluation rows). Each line is
 * flushed as written; on resume, lines past the checkpoint's step are dropped first, so the log
 * matches the run that continues.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final BufferedWriter out;

  /** Opens {@code file}, keeping only rows with {@code step <= keepUpTo}. */
  public MetricsLog(Path file, long keepUpTo) throws IOException {
    this.file = file;
    List<String> kept = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        try {
          if (!line.isBlank() && JSON.readTree(line).path("step").asLong() <= keepUpTo) {
            kept.add(line);
          }
        } catch (IOException e) {
          // a torn last line from a killed run: drop it
        }
      }
    }
    dev.align4j.peft.io.AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** The log file. */
  public Path file() {
    return file;
  }

  /** Appends a training step whose count is called {@code count}. */
  public void step(StepMetrics m) throws IOException {
    step(m, "count");
  }

  /**
   * Appends a training step: the fixed figures, the count under {@code countName} (e.g. {@code
   * target_tokens}), then the objective's named metrics.
   */
  public void step(StepMetrics m, String countName) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("step", m.step());
    n.put("loss", m.loss());
    n.put("lr", m.lr());
    n.put("grad_norm", m.gradNorm());
    n.put(countName, m.count());
    n.put("tokens_per_s", Math.round(m.tokensPerSecond()));
    n.put("rss_mib", rssMib());
    m.metrics().forEach(n::put);
    write(n);
  }

  /** Appends any row (evaluation results), which must carry a {@code step}. */
  public void write(ObjectNode row) throws IOException {
    out.write(JSON.writeValueAsString(row));
    out.newLine();
    out.flush();
  }

  /** Resident memory of this process in MiB (Linux), or -1. */
  public static long rssMib() {
    return procStatusMib("VmRSS:");
  }

  /** Peak resident memory of this process in MiB (Linux), or -1. */
  public static long peakRssMib() {
    return procStatusMib("VmHWM:");
  }

  private static long procStatusMib(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
