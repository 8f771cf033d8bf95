package dev.align4j.recipes.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.recipes.Align4j;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j pipeline} in a child process, stopped by SIGTERM inside its SFT stage: the child exits
 * 143 with the stage checkpointed and unmarked; rerunning the same command skips the finished stages,
 * resumes SFT from its stop checkpoint and ends with the adapter of an uninterrupted run, bit for bit.
 */
class PipelineSignalTest {
  @TempDir Path tmp;

  private static final String PIPELINE = """
      output_dir: OUT
      seed: 5
      stages:
        - name: data
          kind: incident_data
          overrides: {examples: 60, val_size: 6, pairs: 8, pairs_heldout: 4}
        - name: base
          kind: char_model
          overrides: {datasets: "${data.train},${data.val}", hidden_size: 32, intermediate_size: 64, num_layers: 1,
                      num_heads: 2, num_kv_heads: 1, head_dim: 16}
        - name: sft
          kind: sft
          recipe: recipes/demo_sft.yaml
          overrides: {model_name_or_path: "${base.model}", dataset: "${data.train}", eval_dataset: "", max_steps: 150,
                      save_steps: 1000, per_device_train_batch_size: 4, lora_rank: 4, lora_alpha: 8, warmup_steps: 0,
                      eval_steps: 0}
      """;

  private Process pipeline(Path out, Path log) throws IOException {
    Path yaml = tmp.resolve(out.getFileName() + ".yaml");
    Files.writeString(yaml, PIPELINE.replace("OUT", out.toString()));
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    if (canResetSignals()) {
      cmd.addAll(List.of("env", "--default-signal=INT,TERM"));   // a background test run inherits SIGTERM ignored
    }
    cmd.addAll(List.of(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp",
        System.getProperty("java.class.path"), Align4j.class.getName(), "pipeline", "--config", yaml.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("ALIGN4J_PROGRESS", "lines");
    return pb.start();
  }

  private static boolean canResetSignals() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=INT,TERM", "true").redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static int finish(Process p) throws InterruptedException {
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    return p.exitValue();
  }

  @Test
  void sigtermInsideAStageExits143AndTheRerunResumesItBitForBit() throws Exception {
    Path whole = tmp.resolve("whole");
    Path stopped = tmp.resolve("stopped");
    Path log = tmp.resolve("log.txt");
    // the uninterrupted pipeline runs alongside the stopped one (each child trains on one thread, so on two
    // cores neither waits for the other); it is awaited before the adapters are compared
    Path wholeLog = tmp.resolve("whole.txt");
    Process w = pipeline(whole, wholeLog);
    try {
      stopAndResume(stopped, log);
      assertThat(finish(w)).as(Files.readString(wholeLog)).isZero();
    } finally {
      w.destroyForcibly();                       // only where the test failed before it finished
    }
    assertThat(stopped.resolve("sft/adapter/adapter_model.safetensors"))
        .hasSameBinaryContentAs(whole.resolve("sft/adapter/adapter_model.safetensors"));
  }

  /** Stops the pipeline into {@code stopped} by SIGTERM inside SFT, then reruns it to the end. */
  private void stopAndResume(Path stopped, Path log) throws Exception {
    Process p = pipeline(stopped, log);
    Path metrics = stopped.resolve("sft/metrics.jsonl");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (p.isAlive() && (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 3)
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("the child is still training SFT").isTrue();
    new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
    assertThat(finish(p)).as(Files.readString(log)).isEqualTo(143);
    assertThat(stopped.resolve("stages/base.json")).exists();
    assertThat(stopped.resolve("stages/sft.json")).doesNotExist();
    assertThat(stopped.resolve("sft/adapter")).doesNotExist();
    try (var s = Files.list(stopped.resolve("sft/checkpoints"))) {
      assertThat(s.toList()).isNotEmpty();
    }
    assertThat(Files.readString(log)).contains("stopped by SIGTERM in stage 'sft'");

    assertThat(finish(pipeline(stopped, log))).as(Files.readString(log)).isZero();
    assertThat(Files.readString(log)).contains("[1/3] data (incident_data): finished earlier");
    assertThat(stopped.resolve("stages/sft.json")).exists();
  }
}
