package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Progress: a bar for terminals, a plain line every few seconds for files and pipes. */
class ProgressReporterTest {
  private static final long SEC = 1_000_000_000L;

  @Test
  void plainLinesComeEveryIntervalNotEveryStep() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    long[] now = {0};
    try (ProgressReporter p = new ProgressReporter("sft", ProgressReporter.Mode.LINES,
        new PrintStream(buf, true, StandardCharsets.UTF_8), 5_000, () -> now[0])) {
      p.start(0, 1000);
      for (int step = 1; step <= 1000; step++) {
        now[0] = step * SEC / 50;   // 50 steps/s: 20 s in all
        p.update(step, 1000, Map.of("loss", 2.0 - step / 1000.0, "lr", 1e-4, "tokens_per_second", 5000.0));
      }
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(out).doesNotContain("\r");
    List<String> lines = out.lines().toList();
    // the first step, one line per 5 s (at 5, 10, 15 s) and the last step (20 s)
    assertThat(lines).hasSize(5);
    assertThat(lines.get(0)).startsWith("sft step 1/1000 (0%)  loss 1.9990  lr 1.00e-04  5000 tok/s  elapsed 0s  ETA ");
    assertThat(lines.get(1)).startsWith("sft step 251/1000 (25%)").contains("elapsed 5s").endsWith("ETA 15s");
    assertThat(lines.get(4)).isEqualTo("sft step 1000/1000 (100%)  loss 1.0000  lr 1.00e-04  5000 tok/s  elapsed 20s");
  }

  @Test
  void aResumedRunEstimatesFromItsOwnSteps() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    long[] now = {0};
    try (ProgressReporter p = new ProgressReporter("sft", ProgressReporter.Mode.LINES,
        new PrintStream(buf, true, StandardCharsets.UTF_8), 5_000, () -> now[0])) {
      p.start(600, 1000);
      now[0] = 2 * SEC;
      p.update(601, 1000, Map.of("loss", 1.0));
      now[0] = 3 * SEC;
      p.update(602, 1000, Map.of("loss", 1.0, "eval_loss", 1.5));
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    // 2 steps in 3 s, 398 to go: 597 s; close() prints the step the interval held back
    assertThat(lines).containsExactly("sft step 601/1000 (60%)  loss 1.0000  elapsed 2s  ETA 13m18s",
        "sft step 602/1000 (60%)  loss 1.0000  eval_loss 1.5000  elapsed 3s  ETA 9m57s");
  }

  @Test
  void aTerminalGetsABarThatRedrawsInPlace() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (ProgressReporter p = new ProgressReporter("sft", ProgressReporter.Mode.BAR,
        new PrintStream(buf, true, StandardCharsets.UTF_8), 5_000, System::nanoTime)) {
      p.start(0, 3);
      for (int s = 1; s <= 3; s++) {
        p.update(s, 3, Map.of("loss", 1.0));
      }
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("\r").contains("sft").contains("3/3");
  }

  @Test
  void theModeFollowsTheConsoleUnlessTheEnvironmentSays() {
    assertThat(ProgressReporter.defaultMode(null, true)).isEqualTo(ProgressReporter.Mode.BAR);
    assertThat(ProgressReporter.defaultMode(null, false)).isEqualTo(ProgressReporter.Mode.LINES);
    assertThat(ProgressReporter.defaultMode("lines", true)).isEqualTo(ProgressReporter.Mode.LINES);
    assertThat(ProgressReporter.defaultMode("BAR", false)).isEqualTo(ProgressReporter.Mode.BAR);
    assertThatThrownBy(() -> ProgressReporter.defaultMode("fancy", true)).hasMessageContaining("bar or lines");
    // under the test runner there is no console: a file or pipe gets plain lines
    assertThat(ProgressReporter.create("x").mode()).isEqualTo(System.getenv("ALIGN4J_PROGRESS") == null
        ? ProgressReporter.Mode.LINES : ProgressReporter.defaultMode(System.getenv("ALIGN4J_PROGRESS"), false));
  }
}
