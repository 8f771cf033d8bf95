package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.io.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;

/**
 * The SIGKILL scenario the stage CLIs share: an uninterrupted run into {@code full}; the same command
 * into {@code killed}, SIGKILLed once a checkpoint of at least {@code killAfter} steps is complete; the
 * same command again, which must resume from it and finish; then the two adapters must agree. Across
 * JVMs on a loaded machine oneDNN/OpenMP scheduling can move the last bits (the in-process resume tests
 * assert bit-exactness), so the adapters are compared to float noise.
 */
public final class SigkillResume {
  /**
   * Starts the stage's CLI in a child JVM writing to {@code out}, training on one thread
   * ({@code OMP_NUM_THREADS=1}): the uninterrupted run trains alongside the killed one, and two children
   * of two OpenMP threads each on two cores would wait for each other at every op barrier.
   */
  @FunctionalInterface
  public interface Launcher {
    Process start(Path out) throws Exception;
  }

  private SigkillResume() {}

  /** Runs the scenario under {@code tmp}; returns the resumed run's output folder. */
  public static Path run(Path tmp, int killAfter, Launcher launcher) throws Exception {
    // the uninterrupted run trains alongside the killed and resumed ones (one thread each, and this JVM
    // mostly sleeps): on two cores its time no longer adds to the test's
    Path full = tmp.resolve("full");
    Process a = launcher.start(full);
    Path killed = tmp.resolve("killed");
    try {
      killAndResume(killed, killAfter, launcher);
      assertThat(a.waitFor(300, TimeUnit.SECONDS)).isTrue();
      assertThat(a.exitValue()).isZero();
    } finally {
      a.destroyForcibly();                    // only where the test failed before it finished
    }
    try (SafetensorsFile fa = SafetensorsFile.open(full.resolve("adapter/adapter_model.safetensors"));
        SafetensorsFile fb = SafetensorsFile.open(killed.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(fb.tensors().keySet()).containsExactlyElementsOf(fa.tensors().keySet());
      for (String name : fa.tensors().keySet()) {
        assertThat(fb.toFloatArray(name)).as(name).containsExactly(fa.toFloatArray(name), Offset.offset(1e-4f));
      }
    }
    return killed;
  }

  /** The run into {@code killed}, SIGKILLed at a checkpoint of at least {@code killAfter} steps, then resumed. */
  private static void killAndResume(Path killed, int killAfter, Launcher launcher) throws Exception {
    Process b = launcher.start(killed);
    Path ckpts = killed.resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (System.nanoTime() < deadline && !hasCheckpointAtLeast(ckpts, killAfter)) {
      Thread.sleep(10);
    }
    b.destroyForcibly();                      // SIGKILL: no shutdown hooks, no cleanup
    b.waitFor(60, TimeUnit.SECONDS);
    assertThat(hasCheckpointAtLeast(ckpts, killAfter)).isTrue();
    assertThat(Files.exists(killed.resolve("adapter/adapter_model.safetensors"))).isFalse();
    Process c = launcher.start(killed);       // same command: resumes from the newest complete checkpoint
    assertThat(c.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(c.exitValue()).isZero();
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
