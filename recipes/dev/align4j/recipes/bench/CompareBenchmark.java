package dev.align4j.recipes.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.MasterWeights;
import dev.align4j.peft.model.Precision;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code align4j bench compare}: the same training step in align4j and in transformers + PEFT
 * ({@code bench/train_step_hf.py}), on the same machine in one run, each measurement in a fresh
 * process, the two sides alternating (align4j, transformers, align4j, transformers, ...) so that a
 * change in the machine's load hits both. QLoRA has no anchor here (no bitsandbytes wheel): its row
 * is set beside align4j's own LoRA.
 */
public final class CompareBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One process's measurement, with the 1-minute load average read just before it started. */
  public record Run(String side, String method, String precision, int batch, int seq, double stepMs, double forwardMs,
      double backwardMs, double optimizerMs, double cpuMs, double peakRssMiB, double stepPeakRssMiB, double loss, double load) {}

  /**
   * What to compare.
   *
   * @param seqs sequence lengths, each measured at every batch size (the scaling measurement)
   * @param checkpointing activation checkpointing per decoder layer on both sides (transformers'
   *     {@code gradient_checkpointing_enable}); the methods then read e.g. {@code lora+ckpt}
   * @param plot where to write the PNG of step time and peak memory against tokens per step, or null
   * @param runsLog a JSON-lines file each run is appended to as it lands, or null; the plot then shows
   *     every run in it (earlier invocations included), so a long scaling measurement can be split
   * @param masterWeights under bfloat16, each mode measured: {@link MasterWeights#FLOAT32} (align4j's
   *     mixed precision) and/or {@link MasterWeights#NONE} (pure bfloat16 on both sides: align4j trains
   *     its bf16 weights, transformers' LoRA keeps bf16 adapter weights; its full fine-tuning is pure
   *     bf16 in either mode); float32 rows are measured once
   */
  public record Plan(List<PeftBenchmark.Method> methods, List<Integer> batches, List<Precision> precisions,
      List<Integer> seqs, int steps, int warmup, int rounds, int threads, String shape, Path python, Path script,
      boolean checkpointing, Path plot, Path runsLog, List<MasterWeights> masterWeights) {
    /** The master-weight modes measured at {@code prec}. */
    List<MasterWeights> modes(Precision prec) {
      return prec == Precision.BFLOAT16 ? masterWeights : List.of(MasterWeights.FLOAT32);
    }
  }

  private CompareBenchmark() {}

  /**
   * Runs the plan, printing each measurement as it lands and then the summary table.
   *
   * @param childArgs how to start a child align4j JVM: the java command and its options up to the
   *     main class (its arguments are appended)
   * @return every run
   */
  public static List<Run> run(Plan p, List<String> childArgs, PrintStream out) throws IOException, InterruptedException {
    List<Run> runs = new ArrayList<>();
    out.printf("bench compare: shape %s, seq %s, %d warm-up + %d measured steps per process, %d round(s), threads %s%n",
        p.shape(), p.seqs(), p.warmup(), p.steps(), p.rounds(), p.threads() > 0 ? "" + p.threads() : "default");
    out.printf("env MKL_CBWR=%s OMP_NUM_THREADS=%s; python %s%n", System.getenv("MKL_CBWR"),
        System.getenv("OMP_NUM_THREADS"), p.python());
    out.printf("%-7s %-11s %-9s %5s %5s %5s %10s %9s %9s %9s %10s %10s %10s %6s%n", "side", "method", "precision", "batch",
        "seq", "round", "step ms", "fwd ms", "bwd ms", "opt ms", "cpu ms", "peak MiB", "step MiB", "load");
    for (Precision prec : p.precisions()) {
      for (MasterWeights mw : p.modes(prec)) {
      for (int seq : p.seqs()) {
        for (int batch : p.batches()) {
          for (PeftBenchmark.Method m : p.methods()) {
            for (int r = 0; r < p.rounds(); r++) {
              Run a = align4j(p, m, prec, mw, batch, seq, childArgs);
              print(out, a, r);
              runs.add(a);
              log(p, a);
              if (m != PeftBenchmark.Method.QLORA) {
                Run h = transformers(p, m, prec, mw, batch, seq);
                print(out, h, r);
                runs.add(h);
                log(p, h);
              }
            }
          }
        }
      }
      }
    }
    summary(p, runs, out);
    if (p.plot() != null) {
      ScalingPlot.write(p.runsLog() != null ? readLog(p.runsLog()) : runs, p.shape(), p.plot());
      out.println("plot: " + p.plot());
    }
    return runs;
  }

  private static void print(PrintStream out, Run r, int round) {
    out.printf(Locale.ROOT, "%-7s %-11s %-9s %5d %5d %5d %10.1f %9.1f %9.1f %9.1f %10.1f %10.0f %10.0f %6.2f%n",
        r.side(), r.method(), r.precision(), r.batch(), r.seq(), round + 1, r.stepMs(), r.forwardMs(), r.backwardMs(),
        r.optimizerMs(), r.cpuMs(), r.peakRssMiB(), r.stepPeakRssMiB(), r.load());
    out.flush();
  }

  /**
   * Medians per configuration and side; ratio = align4j tokens/s over transformers' (QLoRA: over align4j
   * LoRA), from wall time; cpu ratio the same from the processes' CPU time per step.
   */
  static void summary(Plan p, List<Run> runs, PrintStream out) {
    out.println();
    out.printf("%-11s %-9s %5s %5s %12s %12s %8s %14s %14s %10s %12s %12s %11s%n", "method", "precision", "batch",
        "seq", "align4j ms", "anchor ms", "ratio", "align4j tok/s", "anchor tok/s", "cpu ratio", "align4j MiB", "anchor MiB",
        "load");
    String suffix = p.checkpointing() ? "+ckpt" : "";
    for (Precision prec : p.precisions()) {
      for (MasterWeights mw : p.modes(prec)) {
      String label = PeftBenchmark.precisionLabel(prec, mw);
      for (int seq : p.seqs()) {
      for (int batch : p.batches()) {
        for (PeftBenchmark.Method m : p.methods()) {
          String method = m.name().toLowerCase(Locale.ROOT) + suffix;
          String anchorSide = m == PeftBenchmark.Method.QLORA ? "align4j" : "hf";
          String anchorMethod = m == PeftBenchmark.Method.QLORA ? "lora" + suffix : method;
          List<Run> a = select(runs, "align4j", method, label, batch, seq);
          List<Run> h = select(runs, anchorSide, anchorMethod, label, batch, seq);
          if (a.isEmpty()) {
            continue;
          }
          double am = median(a.stream().mapToDouble(Run::stepMs).toArray());
          double hm = h.isEmpty() ? Double.NaN : median(h.stream().mapToDouble(Run::stepMs).toArray());
          double ac = median(a.stream().mapToDouble(Run::cpuMs).toArray());
          double hc = h.isEmpty() ? Double.NaN : median(h.stream().mapToDouble(Run::cpuMs).toArray());
          double tokens = (double) batch * seq;
          double aPeak = a.stream().mapToDouble(Run::peakRssMiB).max().orElse(Double.NaN);
          double hPeak = h.stream().mapToDouble(Run::peakRssMiB).max().orElse(Double.NaN);
          double lo = runs.stream().filter(r -> a.contains(r) || h.contains(r)).mapToDouble(Run::load).min().orElse(0);
          double hi = runs.stream().filter(r -> a.contains(r) || h.contains(r)).mapToDouble(Run::load).max().orElse(0);
          out.printf(Locale.ROOT, "%-11s %-9s %5d %5d %12.1f %12.1f %7.2fx %14.0f %14.0f %9.2fx %12.0f %12.0f %5.1f-%-5.1f%s%n",
              method, label, batch, seq, am, hm, hm / am, tokens / (am / 1000),
              tokens / (hm / 1000), hc / ac, aPeak, hPeak, lo, hi,
              m == PeftBenchmark.Method.QLORA ? "  (anchor: align4j LoRA)" : "");
        }
      }
      }
      }
    }
  }

  private static List<Run> select(List<Run> runs, String side, String method, String precision, int batch, int seq) {
    return runs.stream().filter(r -> r.side().equals(side) && r.method().equals(method)
        && r.precision().equals(precision) && r.batch() == batch && r.seq() == seq
        && !Double.isNaN(r.stepMs())).toList();
  }

  private static Run align4j(Plan p, PeftBenchmark.Method m, Precision prec, MasterWeights mw, int batch, int seq,
      List<String> childArgs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(childArgs);
    cmd.addAll(List.of("bench", "peft", "--in-process", "--shape", p.shape(), "--batch", "" + batch, "--seq",
        "" + seq, "--steps", "" + p.steps(), "--warmup", "" + p.warmup(), "--method", m.name(), "--precision",
        prec.name().toLowerCase(Locale.ROOT), "--threads", "" + p.threads(), "--master-weights", mw.name()));
    if (p.checkpointing()) {
      cmd.add("--checkpointing");
    }
    double load = loadAverage();
    String row = lastLine(cmd, "ROW\t");
    String method = m.name().toLowerCase(Locale.ROOT) + (p.checkpointing() ? "+ckpt" : "");
    String precision = PeftBenchmark.precisionLabel(prec, mw);
    if (row == null) {
      return new Run("align4j", method, precision, batch, seq, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN, Double.NaN, load);
    }
    String[] f = row.split("\t");
    // ROW method precision batch seq step fwd bwd opt cpu trainable setupRss peak stepPeak loss
    return new Run("align4j", method, precision, batch, seq, d(f[5]), d(f[6]), d(f[7]), d(f[8]), d(f[9]), d(f[12]), d(f[13]),
        d(f[14]), load);
  }

  private static Run transformers(Plan p, PeftBenchmark.Method m, Precision prec, MasterWeights mw, int batch, int seq)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(p.python().toString(), p.script().toString(), "--method",
        m.name().toLowerCase(Locale.ROOT), "--precision", prec.name().toLowerCase(Locale.ROOT), "--batch", "" + batch,
        "--seq", "" + seq, "--steps", "" + p.steps(), "--warmup", "" + p.warmup(), "--threads", "" + p.threads(),
        "--shape", p.shape()));
    if (p.checkpointing()) {
      cmd.add("--checkpointing");
    }
    if (prec == Precision.BFLOAT16 && mw == MasterWeights.NONE) {
      // like with like: bf16 weights updated by the fused AdamW on both sides (the Trainer's default
      // optimizer, adamw_torch_fused; torch's plain AdamW() rounds after every op on CPU)
      cmd.add("--pure-bf16");
      cmd.add("--fused-adamw");
    }
    double load = loadAverage();
    String line = lastLine(cmd, "{");
    String method = m.name().toLowerCase(Locale.ROOT) + (p.checkpointing() ? "+ckpt" : "");
    String precision = PeftBenchmark.precisionLabel(prec, mw);
    if (line == null) {
      return new Run("hf", method, precision, batch, seq, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN, Double.NaN, load);
    }
    JsonNode j = JSON.readTree(line);
    JsonNode ph = j.path("phase_ms");
    return new Run("hf", method, precision, batch, seq, j.path("median_ms").asDouble(), ph.path("forward").asDouble(),
        ph.path("backward").asDouble(), ph.path("optimizer").asDouble(), j.path("cpu_ms").asDouble(),
        j.path("peak_rss_mib").asDouble(),
        j.path("step_peak_rss_mib").asDouble(Double.NaN), j.path("loss").asDouble(), load);
  }

  private static void log(Plan p, Run r) throws IOException {
    if (p.runsLog() != null) {
      Files.writeString(p.runsLog(), JSON.writeValueAsString(r) + "\n", StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
  }

  /** The runs in a {@code --runs} log (blank lines skipped). */
  static List<Run> readLog(Path log) throws IOException {
    List<Run> out = new ArrayList<>();
    int n = 0;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      n++;
      if (!line.isBlank()) {
        try {
          out.add(JSON.readValue(line, Run.class));
        } catch (IOException e) {
          throw new IOException(log + " line " + n + ": not a bench compare run: " + e.getMessage(), e);
        }
      }
    }
    return out;
  }

  private static double d(String s) {
    return Double.parseDouble(s);
  }

  /** The last stdout line of a child that starts with {@code prefix}, or null when it failed. */
  static String lastLine(List<String> cmd, String prefix) throws IOException, InterruptedException {
    Process proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String found = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(prefix)) {
          found = line;
        }
      }
    }
    return proc.waitFor() == 0 ? found : null;
  }

  /** The 1-minute load average (NaN off Linux). */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
