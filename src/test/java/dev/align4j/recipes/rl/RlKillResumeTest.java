package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.TinyIncident;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GRPO process killed with SIGKILL mid-run resumes from its last complete checkpoint (data position,
 * KL controller, optimizer) and ends with the adapter of a run that was never interrupted.
 */
class RlKillResumeTest {
  @TempDir Path tmp;

  private Process grpo(Path model, Path data, Path out) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), Align4j.class.getName(), "grpo",
        "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out, "reward=incident_judge",
        "max_completion_length=6", "prompts_per_rollout=2", "num_generations=2", "num_mini_batches=1",
        "per_device_train_batch_size=4", "learning_rate=1.0e-2", "max_steps=8", "save_steps=1", "lora_rank=4",
        "lora_alpha=8", "beta=0.04", "temperature=1.5"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(out.getFileName() + ".log").toFile()).start();
  }

  @Test
  void sigkilledRunResumesAndMatchesTheUninterruptedOne() throws Exception {
    TinyIncident task = TinyIncident.write(tmp, 6, 9, 2);
    Path model = task.model();
    Path data = task.data();
    Path full = tmp.resolve("full");
    Process a = grpo(model, data, full);
    assertThat(a.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).isZero();

    Path killed = tmp.resolve("killed");
    Process b = grpo(model, data, killed);
    Path ckpts = killed.resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (System.nanoTime() < deadline && !hasCheckpointAtLeast(ckpts, 3)) {
      Thread.sleep(10);
    }
    b.destroyForcibly();                      // SIGKILL: no shutdown hooks, no cleanup
    b.waitFor(60, TimeUnit.SECONDS);
    assertThat(hasCheckpointAtLeast(ckpts, 3)).isTrue();
    assertThat(Files.exists(killed.resolve("adapter/adapter_model.safetensors"))).isFalse();
    Process c = grpo(model, data, killed);    // same command: resumes from the newest complete checkpoint
    assertThat(c.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(c.exitValue()).isZero();
    // across JVMs on a loaded machine oneDNN/OpenMP scheduling can move the last bits (the in-process
    // RlLoopResumeTest asserts bit-exactness), so this cross-process check allows float noise
    try (SafetensorsFile fa = SafetensorsFile.open(full.resolve("adapter/adapter_model.safetensors"));
        SafetensorsFile fb = SafetensorsFile.open(killed.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(fb.tensors().keySet()).containsExactlyElementsOf(fa.tensors().keySet());
      for (String name : fa.tensors().keySet()) {
        assertThat(fb.toFloatArray(name)).as(name).containsExactly(fa.toFloatArray(name), Offset.offset(1e-4f));
      }
    }
    assertThat(Files.readAllLines(killed.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count())
        .isEqualTo(8);
  }

  private static boolean hasCheckpointAtLeast(Path dir, int step) throws Exception {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("checkpoint-\\d+"))
          .anyMatch(n -> Integer.parseInt(n.substring(11)) >= step);
    }
  }
}
