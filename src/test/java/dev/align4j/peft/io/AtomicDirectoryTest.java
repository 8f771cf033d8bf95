package dev.align4j.peft.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.train.TrainingCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Directory swaps: a crash between any two steps leaves the previous directory or the whole new one. */
class AtomicDirectoryTest {
  @TempDir Path tmp;

  /** A crash: nothing after it runs (an Error passes the swap's clean-up, as a kill would). */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;
  }

  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readString(p));
      }
    }
    return out;
  }

  private static void writeOld(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), "old config");
    Files.writeString(dir.resolve("model-00001-of-00002.safetensors"), "old shard 1");
    Files.writeString(dir.resolve("model-00002-of-00002.safetensors"), "old shard 2");
  }

  private static void writeNew(Path dir) throws IOException {
    Files.writeString(dir.resolve("config.json"), "new config");
    Files.writeString(dir.resolve("model.safetensors"), "new weights");
  }

  private List<String> siblings() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest
  @EnumSource(AtomicFiles.SwapStep.class)
  void aCrashAfterAnyStepLeavesTheOldOrTheWholeNewDirectory(AtomicFiles.SwapStep crashAfter) throws IOException {
    Path target = tmp.resolve("best");
    writeOld(target);
    Map<String, String> old = contents(target);
    assertThatThrownBy(() -> AtomicFiles.replaceDirectory(target, AtomicDirectoryTest::writeNew, step -> {
      if (step == crashAfter) {
        throw new Crash();
      }
    })).isInstanceOf(Crash.class);
    // the next start (the writer, a reader such as TrainingCheckpoint.latest, or a rerun) recovers
    AtomicFiles.recoverDirectories(tmp);
    Map<String, String> now = contents(target);
    if (crashAfter == AtomicFiles.SwapStep.NEW_MOVED_IN) {
      assertThat(now).isEqualTo(Map.of("config.json", "new config", "model.safetensors", "new weights"));
    } else {
      assertThat(now).as("the previous directory, untouched").isEqualTo(old);
    }
    assertThat(siblings()).containsExactly("best");
  }

  @Test
  void theOldWayOfRewritingInPlaceLeavesAMixAfterACrash() throws IOException {
    // what HfCheckpointWriter-style in-place writes do: config first, weights, stale shards last
    Path target = tmp.resolve("model");
    writeOld(target);
    Files.writeString(target.resolve("config.json"), "new config");
    Files.writeString(target.resolve("model.safetensors"), "new weights");
    // crash here: the directory now holds the new config next to the old shards
    assertThat(contents(target).keySet()).contains("model-00001-of-00002.safetensors", "model.safetensors");
    // the swap never shows such a mix
    Path other = tmp.resolve("swapped");
    writeOld(other);
    AtomicFiles.replaceDirectory(other, AtomicDirectoryTest::writeNew);
    assertThat(contents(other)).isEqualTo(Map.of("config.json", "new config", "model.safetensors", "new weights"));
  }

  @Test
  void aFailingWriterLeavesThePreviousDirectoryAndNoLeftovers() throws IOException {
    Path target = tmp.resolve("adapter");
    writeOld(target);
    Map<String, String> old = contents(target);
    assertThatThrownBy(() -> AtomicFiles.replaceDirectory(target, dir -> {
      Files.writeString(dir.resolve("config.json"), "half");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(contents(target)).isEqualTo(old);
    assertThat(siblings()).containsExactly("adapter");
  }

  @Test
  void aFirstWriteCreatesTheDirectory() throws IOException {
    Path target = tmp.resolve("sub").resolve("fresh");
    AtomicFiles.replaceDirectory(target, AtomicDirectoryTest::writeNew);
    assertThat(contents(target)).containsEntry("model.safetensors", "new weights");
  }

  @Test
  void aCheckpointCaughtMidSwapIsFoundAgainOnResume() throws IOException {
    // checkpoint-4 was being rewritten: the old one renamed away, the new one not yet renamed in
    Path runDir = tmp.resolve("checkpoints");
    Files.createDirectories(runDir.resolve("checkpoint-2"));
    Files.writeString(runDir.resolve("checkpoint-2/trainer_state.json"), "{\"step\": 2}");
    Path away = runDir.resolve(".checkpoint-4.old-k3j2");
    Files.createDirectories(away);
    Files.writeString(away.resolve("trainer_state.json"), "{\"step\": 4}");
    Path half = runDir.resolve(".checkpoint-4.tmp-9x8");
    Files.createDirectories(half);
    Files.writeString(half.resolve("trainable.safetensors"), "partial");
    assertThat(TrainingCheckpoint.latest(runDir)).contains(runDir.resolve("checkpoint-4"));
    assertThat(Files.readString(runDir.resolve("checkpoint-4/trainer_state.json"))).isEqualTo("{\"step\": 4}");
    try (Stream<Path> s = Files.list(runDir)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("checkpoint-2", "checkpoint-4");
    }
  }

  @Test
  void recoveryLeavesUnrelatedHiddenFilesAlone() throws IOException {
    Files.writeString(tmp.resolve(".gitignore"), "x");
    Files.createDirectories(tmp.resolve(".cache"));
    Files.createDirectories(tmp.resolve("checkpoint-1"));
    Files.createDirectories(tmp.resolve(".checkpoint-10.tmp-abc123"));
    AtomicFiles.recoverDirectories(tmp);
    assertThat(siblings()).containsExactly(".cache", ".gitignore", "checkpoint-1");
  }
}
