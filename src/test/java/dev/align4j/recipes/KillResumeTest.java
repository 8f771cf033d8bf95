package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process killed with SIGKILL in the middle of training resumes from its last complete
 * checkpoint, and ends with the same adapter as a run that was never interrupted.
 */
class KillResumeTest {
  @TempDir Path tmp;

  private Process sft(Path model, Path data, Path out) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), Align4j.class.getName(), "sft",
        "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out, "max_steps=60", "save_steps=3",
        "per_device_train_batch_size=2", "learning_rate=1.0e-2", "lora_dropout=0.1"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(out.getFileName() + ".log").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");   // SigkillResume runs two children at once
    return pb.start();
  }

  @Test
  void sigkilledRunResumesAndMatchesTheUninterruptedOne() throws Exception {
    Path model = tmp.resolve("m");
    Path data = tmp.resolve("d.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      sb.append("{\"instruction\": \"q").append(i).append("\", \"output\": \"answer number ").append(i).append("\"}\n");
    }
    Files.writeString(data, sb.toString());
    int vocab = CharTokenizer.write(model, List.of(sb.toString()));
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN2, vocab, 32, 64, 2, 4, 2, 8, 1e-6, 1e4, null, 256,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
    Path killed = SigkillResume.run(tmp, 9, out -> sft(model, data, out));
    // and the resumed run did start from the checkpoint: its log keeps the killed run's first steps
    assertThat(Files.readAllLines(killed.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count())
        .isEqualTo(60);
  }
}
