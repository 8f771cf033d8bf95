package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.sft.demo.CharTokenizer;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGINT and SIGTERM at random moments of real training processes (forward, backward, optimizer,
 * and before training starts): every process exits 130/143, never aborts (no hs_err or core
 * file), leaves a checkpoint of its last step, and the chain run, signal, resume, signal, ...
 * ends with the same weights as a run that was never interrupted. Full fine-tuning, so that the
 * optimizer phase (AdamW over every weight) is a real share of the step, not LoRA's few.
 *
 * <p>The model is big enough that a step takes about half a second on an idle core, so a signal
 * usually lands inside libtorch. Each signal's phase is read from the stack the child prints
 * ({@code ALIGN4J_DEBUG}) and reported. Reproduce a sequence with {@code -Dsignals.seed=N}.
 */
class SignalStopTest {
  // -Dsignals.count and -Dsignals.hidden shrink the test for a quick check on a busy machine
  private static final int IN_TRAINING = Integer.getInteger("signals.count", 20);
  private static final int EARLY = 3;                     // sent while the process is starting up
  private static final int SIGNALS = EARLY + IN_TRAINING;
  private static final int HIDDEN = Integer.getInteger("signals.hidden", 384);
  private static final int MAX_STEPS = 2 * IN_TRAINING + 6;

  /** Whether {@code env --default-signal} (GNU coreutils 8.31+) is there to undo an inherited SIG_IGN. */
  private static final boolean RESET_SIGNALS = canResetSignals();

  @TempDir Path tmp;

  private static boolean canResetSignals() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=INT,TERM", "true").redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private Process sft(Path model, Path data, Path out, Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    if (RESET_SIGNALS) {
      // a test run in the background of a script inherits SIGINT ignored; the child gets the default back
      cmd.addAll(List.of("env", "--default-signal=INT,TERM"));
    }
    cmd.addAll(List.of(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), Align4j.class.getName(), "sft",
        "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out, "max_steps=" + MAX_STEPS,
        "save_steps=1000", "per_device_train_batch_size=4", "learning_rate=1.0e-3", "finetuning_type=full",
        "cutoff_len=256"));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.resolve("cwd").toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("ALIGN4J_DEBUG", "1");      // the child prints its main thread's stack on a signal
    // one thread: on a machine shared by many jobs, two OpenMP threads wait for each other at every op
    // barrier and a step takes ~100x longer; the stop does not depend on the thread count
    pb.environment().put("OMP_NUM_THREADS", "1");
    return pb.start();
  }

  @Test
  void signalledRunsStopCleanlyAndResumeToTheUninterruptedResult() throws Exception {
    Path model = tmp.resolve("m");
    Path data = tmp.resolve("d.jsonl");
    Files.createDirectories(tmp.resolve("cwd"));
    StringBuilder sb = new StringBuilder();
    Random words = new Random(3);
    for (int i = 0; i < 24; i++) {
      StringBuilder answer = new StringBuilder();
      for (int w = 0; w < 40; w++) {
        answer.append((char) ('a' + words.nextInt(26))).append(w % 7 == 6 ? ". " : " ");
      }
      sb.append("{\"instruction\": \"question ").append(i).append("\", \"output\": \"").append(answer).append("\"}\n");
    }
    Files.writeString(data, sb.toString());
    int vocab = CharTokenizer.write(model, List.of(sb.toString()));
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN2, vocab, HIDDEN, HIDDEN * 8 / 3, 4, HIDDEN / 32, 2, 32, 1e-6, 1e4, null,
          512, true, false, "float32"), 1, null, Optional.empty(), m);
    }
    long seed = Long.getLong("signals.seed", System.nanoTime());
    Random rnd = new Random(seed);
    System.out.println("SignalStopTest: seed " + seed);
    boolean intIgnored = !RESET_SIGNALS && ignoredSignals().contains(2);   // inherited SIG_IGN, cannot be undone
    if (intIgnored) {
      System.out.println("SignalStopTest: SIGINT is ignored in this process tree; sending SIGTERM only");
    }

    // the uninterrupted run trains alongside the signalled ones (each child has one thread, and this JVM
    // mostly sleeps, so on two cores neither waits for the other): its ~20 s no longer add to the test's
    Path full = tmp.resolve("full");
    long t0 = System.nanoTime();
    Process a = sft(model, data, full, tmp.resolve("full.log"));
    CompletableFuture<Long> aDone = a.onExit().thenApply(p -> System.nanoTime());
    try {
      signalledChainMatches(model, data, full, a, intIgnored, rnd);
    } finally {
      a.destroyForcibly();                               // only where the test failed before it finished
    }
    System.out.printf("SignalStopTest: uninterrupted run %.1f s (alongside)%n", (aDone.get() - t0) / 1e9);
  }

  /**
   * Signals a chain of runs into {@code signalled}, resumes it to the end, and compares its weights with
   * those of {@code reference}, the uninterrupted run writing to {@code full}.
   */
  private void signalledChainMatches(Path model, Path data, Path full, Process reference, boolean intIgnored,
      Random rnd) throws Exception {
    Path out = tmp.resolve("signalled");
    Path log = tmp.resolve("signalled.log");
    Map<String, Integer> phases = new TreeMap<>();
    double stepSeconds = 0.5;                            // updated from what the children show
    int sent = 0;
    try (Killer killer = new Killer()) {
      while (sent < SIGNALS) {
        long before = latestCheckpoint(out.resolve("checkpoints"));    // where this process resumes
        long logBefore = Files.exists(log) ? Files.size(log) : 0;
        Object oldLog = fileKey(out.resolve("metrics.jsonl"));
        Process p = sft(model, data, out, log);
        // the first few, and any once too few steps are left, come during start-up
        boolean early = sent < EARLY || before + 3 > MAX_STEPS;
        long t1 = 0;
        double aimed = stepSeconds;
        if (early) {
          Thread.sleep(50 + rnd.nextInt(1500));           // JVM start, engine, model and data loading
        } else {
          // once this process has finished its first step, signal at a random moment of its second
          // (a third of the time near the step's end, where the optimizer runs)
          // (metrics.jsonl may run past the checkpoint after a doubled signal: wait until this
          // process has trimmed it, which replaces the file)
          while (oldLog != null && oldLog.equals(fileKey(out.resolve("metrics.jsonl")))) {
            assertThat(p.isAlive()).as("process alive while starting").isTrue();
            Thread.sleep(2);
          }
          t1 = waitForLines(out, before + 1, p);
          double at = rnd.nextInt(3) == 0 ? 0.8 + 0.2 * rnd.nextDouble() : rnd.nextDouble();
          Thread.sleep((long) (at * stepSeconds * 1000));
        }
        assertThat(p.isAlive()).as("process alive when signalled").isTrue();
        int sig = intIgnored || rnd.nextBoolean() ? 15 : 2;
        killer.send(sig, p.pid());
        // every fifth signal in training is doubled: the second one quits at once (by the default action)
        boolean twice = !early && sent % 5 == 4;
        if (twice) {
          Thread.sleep(100);
          killer.send(sig, p.pid());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (p.isAlive()) {
          // time the step the signal landed in, for the next round's aim
          if (!early && lossLines(out) >= before + 2 && stepSeconds == aimed) {
            stepSeconds = (System.nanoTime() - t1) / 1e9;
          }
          assertThat(System.nanoTime()).as("stopped after the signal").isLessThan(deadline);
          Thread.sleep(2);
        }
        String said = Files.readString(log).substring((int) logBefore);
        assertThat(p.exitValue()).as(said).isEqualTo(128 + sig);
        assertThat(crashFiles()).as("no crash file").isEmpty();
        assertThat(out.resolve("model")).doesNotExist();
        long steps = lossLines(out);
        if (steps > 0 && !twice) {
          // the stop checkpointed the last logged step (save_steps is far away)
          assertThat(latestCheckpoint(out.resolve("checkpoints"))).as(said).isEqualTo(steps);
        }
        phases.merge(phase(said, early) + (twice ? " (twice)" : ""), 1, Integer::sum);
        sent++;
      }
    }
    System.out.printf("SignalStopTest: %d signals (step %.2f s); phases %s%n", sent, stepSeconds, phases);

    Process last = sft(model, data, out, log);             // the same command, no signal: resumes and finishes
    assertThat(last.waitFor(1800, TimeUnit.SECONDS)).isTrue();
    assertThat(last.exitValue()).as(Files.readString(log)).isZero();
    assertThat(crashFiles()).isEmpty();
    assertThat(lossLines(out)).isEqualTo(MAX_STEPS);
    assertThat(reference.waitFor(1800, TimeUnit.SECONDS)).as("uninterrupted run finished").isTrue();
    assertThat(reference.exitValue()).as(Files.readString(tmp.resolve("full.log"))).isZero();
    // across JVMs oneDNN/OpenMP scheduling can move the last bits under load (see KillResumeTest)
    try (SafetensorsFile fa = SafetensorsFile.open(full.resolve("model/model.safetensors"));
        SafetensorsFile fb = SafetensorsFile.open(out.resolve("model/model.safetensors"))) {
      assertThat(fb.tensors().keySet()).containsExactlyElementsOf(fa.tensors().keySet());
      for (String name : fa.tensors().keySet()) {
        // by hand: AssertJ's containsExactly with an offset is quadratic, hours on full weights
        float[] x = fa.toFloatArray(name);
        float[] y = fb.toFloatArray(name);
        assertThat(y).as(name).hasSameSizeAs(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i] - y[i]));    // NaN stays NaN and fails below
        }
        assertThat(worst).as(name + ": max |difference|").isLessThanOrEqualTo(1e-4);
      }
    }
    // the signals did land inside training, in its long native phases
    // where each lands is random (the distribution is printed above: forward, backward and optimizer
    // are all hit in a typical run); what must hold is that most of them land inside a step
    int inStep = landedIn(phases, "forward") + landedIn(phases, "backward") + landedIn(phases, "optimizer");
    assertThat(inStep).as("signals inside a training step (forward, backward, optimizer): %s", phases)
        .isGreaterThanOrEqualTo(5);
  }

  /** Signals whose phase is {@code phase}, sent once or twice. */
  private static int landedIn(Map<String, Integer> phases, String phase) {
    return phases.entrySet().stream().filter(e -> e.getKey().startsWith(phase)).mapToInt(Map.Entry::getValue).sum();
  }

  /** The training phase a child was in, from the main-thread stack it printed on the signal. */
  private static String phase(String said, boolean early) {
    int at = said.indexOf("main thread at:");
    if (at < 0) {
      return early ? "startup" : "unknown";            // quit before the handlers were installed, or by default action
    }
    String stack = said.substring(at);
    if (stack.contains("AdamW.") || stack.contains("Gradients.clip")) {
      return "optimizer";
    }
    if (stack.contains("torchBackward") || stack.contains("GradientCollector.backward")) {
      return "backward";
    }
    if (stack.contains("TrainingCheckpoint")) {
      return "checkpoint";
    }
    if (stack.contains("TrainingSession.step") || stack.contains("Trainer.step")) {
      return "forward";
    }
    if (stack.contains("Trainer.train")) {
      return "between steps";
    }
    return "loading";
  }

  /** Sends signals through one long-lived shell, so that a signal is not delayed by starting a process. */
  private static final class Killer implements AutoCloseable {
    private final Process sh = new ProcessBuilder("sh", "-c", "while read s p; do kill -$s $p; done").start();
    private final Writer in = new OutputStreamWriter(sh.getOutputStream(), StandardCharsets.US_ASCII);

    Killer() throws IOException {}

    void send(int sig, long pid) throws IOException {
      in.write(sig + " " + pid + "\n");
      in.flush();
    }

    @Override
    public void close() throws Exception {
      in.close();
      sh.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Waits until {@code metrics.jsonl} has {@code n} loss rows; returns the time it saw them. */
  private static long waitForLines(Path out, long n, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (lossLines(out) < n) {
      assertThat(p.isAlive()).as("process alive while waiting for step " + n).isTrue();
      assertThat(System.nanoTime()).as("step " + n + " in time").isLessThan(deadline);
      Thread.sleep(2);
    }
    return System.nanoTime();
  }

  private static Object fileKey(Path f) throws IOException {
    try {
      return Files.readAttributes(f, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static long lossLines(Path out) throws IOException {
    Path f = out.resolve("metrics.jsonl");
    if (!Files.exists(f)) {
      return 0;
    }
    try (Stream<String> s = Files.lines(f)) {
      return s.filter(l -> l.contains("\"loss\"")).count();
    }
  }

  private static long latestCheckpoint(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("checkpoint-\\d+"))
          .mapToLong(n -> Long.parseLong(n.substring(11))).max().orElse(0);
    }
  }

  private List<String> crashFiles() throws IOException {
    try (Stream<Path> s = Files.list(tmp.resolve("cwd"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("hs_err_pid") || n.startsWith("replay_pid") || n.startsWith("core")).toList();
    }
  }

  /** Signal numbers ignored by this JVM (inherited by its children), from /proc/self/status. */
  private static List<Integer> ignoredSignals() throws IOException {
    List<Integer> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
        for (int s = 1; s <= 64; s++) {
          if ((mask & (1L << (s - 1))) != 0) {
            out.add(s);
          }
        }
      }
    }
    return out;
  }
}
