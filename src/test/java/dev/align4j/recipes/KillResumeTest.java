package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.io.SafetensorsFile;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(out.getFileName() + ".log").toFile()).start();
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
    Path full = tmp.resolve("full");
    Process a = sft(model, data, full);
    assertThat(a.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).isZero();

    Path killed = tmp.resolve("killed");
    Process b = sft(model, data, killed);
    Path ckpts = killed.resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (System.nanoTime() < deadline && !hasCheckpointAtLeast(ckpts, 9)) {
      Thread.sleep(20);
    }
    b.destroyForcibly();                      // SIGKILL: no shutdown hooks, no cleanup
    b.waitFor(60, TimeUnit.SECONDS);
    assertThat(hasCheckpointAtLeast(ckpts, 9)).isTrue();
    assertThat(Files.exists(killed.resolve("adapter/adapter_model.safetensors"))).isFalse();
    Process c = sft(model, data, killed);     // same command: resumes from the newest complete checkpoint
    assertThat(c.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(c.exitValue()).isZero();
    // On an idle machine the two adapters are byte-identical (the in-process resume test asserts
    // bit-exactness); across three JVMs on a loaded machine oneDNN/OpenMP scheduling can still move the
    // last bits, so this cross-process check allows float noise.
    try (SafetensorsFile fa = SafetensorsFile.open(full.resolve("adapter/adapter_model.safetensors"));
        SafetensorsFile fb = SafetensorsFile.open(killed.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(fb.tensors().keySet()).containsExactlyElementsOf(fa.tensors().keySet());
      for (String name : fa.tensors().keySet()) {
        assertThat(fb.toFloatArray(name)).as(name).containsExactly(fa.toFloatArray(name), org.assertj.core.data.Offset.offset(1e-4f));
      }
    }
    // and the resumed run did start from the checkpoint: its log keeps the killed run's first steps
    assertThat(Files.readAllLines(killed.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count())
        .isEqualTo(60);
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
