package dev.align4j.recipes.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code align4j bench rm|dpo}: the same preference training step in align4j and in TRL, each in fresh
 * processes run one after the other (align4j first on even repetitions, TRL first on odd ones), so
 * both sides meet the same machine load; prints per side and mode the median step time, CPU time per
 * step (all threads: robust to other jobs on a shared machine, unlike wall time), pairs/s on both, peak
 * RSS, and the align4j/TRL ratios, with the load average before and after.
 */
public final class PreferenceCompare {

  /**
   * What to compare.
   *
   * @param javaArgs the launcher arguments of one align4j child, without {@code --mode}
   * @param script TRL's side ({@code bench/rm_step_trl.py} or {@code bench/dpo_step_trl.py})
   * @param scriptArgs its arguments, without the mode's own
   */
  public record Plan(List<PreferenceBenchmark.Mode> modes, int repetitions, List<String> javaArgs, Path python,
      Path script, List<String> scriptArgs) {}

  /** One measured child. */
  record Sample(String side, PreferenceBenchmark.Mode mode, double stepMs, double cpuMs, double peakRssMiB, int pairs,
      long trainable) {}

  private PreferenceCompare() {}

  /** Runs the plan; returns 0 when every child reported. */
  public static int run(Plan plan, PrintStream out) throws IOException, InterruptedException {
    if (!Files.isRegularFile(plan.script())) {
      throw new IllegalArgumentException(plan.script() + " not found (run from the repository root, or pass --hf-script)");
    }
    String loadBefore = loadAverage();
    List<Sample> samples = new ArrayList<>();
    int failures = 0;
    for (int rep = 0; rep < plan.repetitions(); rep++) {
      for (PreferenceBenchmark.Mode mode : plan.modes()) {
        for (int k = 0; k < 2; k++) {
          boolean align4j = (k == 0) == (rep % 2 == 0);
          Sample s = align4j ? child("align4j", mode, java(plan, mode)) : child("trl", mode, python(plan, mode));
          if (s == null) {
            failures++;
          } else {
            samples.add(s);
          }
        }
      }
    }
    String loadAfter = loadAverage();
    for (Sample s : samples) {   // every child, in run order: the spread behind the medians
      out.printf(Locale.ROOT, "  run: %-10s %-8s step %.1f ms, cpu %.1f ms, peak RSS %.0f MiB%n", name(s.mode()), s.side(),
          s.stepMs(), s.cpuMs(), s.peakRssMiB());
    }
    out.printf(Locale.ROOT, "%-10s %-8s %10s %10s %12s %12s %10s %12s%n", "mode", "side", "step ms", "cpu ms",
        "pairs/s", "pairs/cpu-s", "peak RSS", "trainable");
    for (PreferenceBenchmark.Mode mode : plan.modes()) {
      Map<String, double[]> med = new LinkedHashMap<>();
      for (String side : List.of("align4j", "trl")) {
        List<Sample> xs = samples.stream().filter(s -> s.side().equals(side) && s.mode() == mode).toList();
        if (xs.isEmpty()) {
          out.printf(Locale.ROOT, "%-10s %-8s failed%n", name(mode), side);
          continue;
        }
        double step = median(xs.stream().mapToDouble(Sample::stepMs).toArray());
        double cpu = median(xs.stream().mapToDouble(Sample::cpuMs).toArray());
        double rss = median(xs.stream().mapToDouble(Sample::peakRssMiB).toArray());
        int pairs = xs.get(0).pairs();
        med.put(side, new double[] {step, cpu, rss});
        out.printf(Locale.ROOT, "%-10s %-8s %10.1f %10.1f %12.3f %12.3f %6.0f MiB %,12d%n", name(mode), side, step,
            cpu, pairs / (step / 1000), pairs / (cpu / 1000), rss, xs.get(0).trainable());
      }
      if (med.size() == 2) {
        double[] a = med.get("align4j");
        double[] t = med.get("trl");
        out.printf(Locale.ROOT, "%-10s align4j/TRL: wall %.2fx, cpu %.2fx (time per step; < 1 is faster), peak RSS %.2fx%n",
            name(mode), a[0] / t[0], a[1] / t[1], a[2] / t[2]);
      }
    }
    out.printf("load average (1/5/15 min) before: %s, after: %s; %d repetition(s), medians over them%n", loadBefore,
        loadAfter, plan.repetitions());
    return failures == 0 ? 0 : 1;
  }

  static String name(PreferenceBenchmark.Mode m) {
    return m.name().toLowerCase(Locale.ROOT);
  }

  private static List<String> java(Plan plan, PreferenceBenchmark.Mode mode) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx8g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        "dev.align4j.recipes.Align4j"));
    cmd.addAll(plan.javaArgs());
    cmd.addAll(List.of("--in-process", "--mode", mode.name()));
    return cmd;
  }

  private static List<String> python(Plan plan, PreferenceBenchmark.Mode mode) {
    List<String> cmd = new ArrayList<>(List.of(plan.python().toString(), plan.script().toString()));
    cmd.addAll(plan.scriptArgs());
    if (mode != PreferenceBenchmark.Mode.RM) {
      cmd.addAll(List.of("--ref", mode == PreferenceBenchmark.Mode.DPO_LIVE ? "live" : "cached"));
    }
    return cmd;
  }

  /** Runs one child (see {@link BenchChild#run}); null when it failed. */
  private static Sample child(String side, PreferenceBenchmark.Mode mode, List<String> cmd)
      throws IOException, InterruptedException {
    JsonNode result = BenchChild.run(cmd, "bench: " + side + " child for " + name(mode));
    if (result == null) {
      return null;
    }
    return new Sample(side, mode, result.get("step_ms").asDouble(), result.get("cpu_ms").asDouble(),
        result.get("peak_rss_mib").asDouble(), result.get("pairs").asInt(), result.get("trainable").asLong());
  }

  /** /proc/loadavg's first three fields, or "n/a". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** The median (the mean of the middle two for an even count). */
  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
