package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real JVM running the CLI exits 0 after success (libtorch must not abort at shutdown), 1 on error. */
class ProcessExitTest {
  @TempDir Path tmp;

  private static Process start(String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new java.util.ArrayList<>(List.of(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), Align4j.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  @Test
  void successExitsZeroAndErrorsExitOne() throws Exception {
    Path model = tmp.resolve("m");
    Process p = start("tiny", "--family", "llama", "--out", model.toString(), "--vocab", "64", "--hidden", "16",
        "--intermediate", "32");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Process info = start("info", "--model", model.toString());
    String infoOut = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(info.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(info.exitValue()).as(infoOut).isZero();
    assertThat(infoOut).contains("LlamaForCausalLM").doesNotContain("terminate called");
    Process bad = start("info", "--model", tmp.resolve("missing").toString());
    String badOut = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bad.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).as(badOut).isEqualTo(1);
    assertThat(badOut).contains("not a directory");
  }
}
