package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.SigkillResume;
import dev.align4j.recipes.TinyIncident;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(out.getFileName() + ".log").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");   // SigkillResume runs two children at once
    return pb.start();
  }

  @Test
  void sigkilledRunResumesAndMatchesTheUninterruptedOne() throws Exception {
    TinyIncident task = TinyIncident.write(tmp, 6, 9, 2);
    Path model = task.model();
    Path data = task.data();
    Path killed = SigkillResume.run(tmp, 3, out -> grpo(model, data, out));
    assertThat(Files.readAllLines(killed.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count())
        .isEqualTo(8);
  }
}
