package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.sft.SftRecipe;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every command answers --help, every computing command takes --device, errors are never "null". */
class CliHygieneTest {
  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  /** Every command path below the root: [info], [data, validate], ... */
  private static List<List<String>> commandPaths(CommandLine cl, List<String> prefix) {
    List<List<String>> out = new ArrayList<>();
    cl.getSubcommands().forEach((name, sub) -> {
      List<String> path = new ArrayList<>(prefix);
      path.add(name);
      out.add(path);
      out.addAll(commandPaths(sub, path));
    });
    return out;
  }

  @Test
  void helpWorksOnEveryCommandAndSubcommand() {
    List<List<String>> paths = commandPaths(Align4j.commandLine(), List.of());
    assertThat(paths).extracting(p -> String.join(" ", p))
        .contains("sft", "pt", "merge", "demo", "bench", "tour", "tiny", "info", "generate", "logprobs", "data validate");
    for (List<String> p : paths) {
      for (String flag : new String[] {"--help", "-h"}) {
        List<String> args = new ArrayList<>(p);
        args.add(flag);
        CliRun r = run(args.toArray(String[]::new));
        assertThat(r.rc()).as(args + ": " + r.err()).isZero();
        assertThat(r.out()).as(String.join(" ", args)).contains("Usage: align4j " + String.join(" ", p));
      }
    }
    assertThat(run("--help").rc()).isZero();
  }

  @Test
  void everyComputingCommandTakesDevice() {
    CommandLine root = Align4j.commandLine();
    // no tensors on a device: data tooling, tokenizer and chat-template tools, and tiny (random weights
    // that must not depend on the machine); a new command either takes --device or joins this list
    Set<String> deviceFree = Set.of("data", "tiny", "tokenize", "chat-template");
    for (List<String> p : commandPaths(root, List.of())) {
      CommandLine cl = root;
      for (String name : p) {
        cl = cl.getSubcommands().get(name);
      }
      if (!deviceFree.contains(p.get(0))) {
        assertThat(cl.getCommandSpec().findOption("--device")).as(String.join(" ", p)).isNotNull();
      }
    }
  }

  @Test
  void anUnknownDeviceIsAnErrorNamingTheOption() {
    CliRun r = run("merge", "--model", "m", "--adapter", "a", "--out", "o", "--device", "tpu");
    assertThat(r.rc()).isEqualTo(1);
    assertThat(r.err()).contains("--device: unknown device 'tpu' (cpu, gpu or gpuN)");
  }

  @Test
  void aGpuThatIsNotThereIsAnErrorNamingTheOption() {
    assumeTrue(Torch.engine().getGpuCount() == 0);
    CliRun r = run("tour", "--device", "gpu", "--out", "unused");
    assertThat(r.rc()).isEqualTo(1);
    assertThat(r.err()).contains("--device gpu: DJL sees 0 GPU(s)").contains("use --device cpu");
  }

  @Test
  void errorsWithoutAMessageNameTheirType() {
    assertThat(Align4j.describe(new NullPointerException())).startsWith("NullPointerException at ")
        .doesNotContain("null (");
    assertThat(Align4j.describe(new IllegalStateException("bad state"))).isEqualTo("IllegalStateException: bad state");
    assertThat(Align4j.describe(new IllegalArgumentException("x.yaml: unknown key 'a'"))).isEqualTo("x.yaml: unknown key 'a'");
    assertThat(Align4j.describe(new UncheckedIOException(new AccessDeniedException("/root/x"))))
        .isEqualTo("AccessDeniedException: /root/x");
    assertThat(Align4j.describe(new NoSuchFileException("d.jsonl", null, "dataset not found")))
        .isEqualTo("NoSuchFileException: d.jsonl: dataset not found");
  }

  @Test
  void anUncaughtExceptionWithoutMessagePrintsItsType(@TempDir Path dir) {
    // a recipe file that is a directory: the YAML reader fails inside Jackson
    CliRun r = run("sft", "--config", dir.toString());
    assertThat(r.rc()).isEqualTo(1);
    assertThat(r.err()).startsWith("align4j: error: ").doesNotContain("error: null");
  }

  @Test
  void sftKeysPrintsTheRecipeTable() {
    CliRun r = run("sft", "--keys");
    assertThat(r.rc()).isZero();
    assertThat(r.out()).isEqualTo(SftRecipe.SCHEMA.markdownTable());
  }
}
