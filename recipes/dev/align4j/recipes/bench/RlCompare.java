package dev.align4j.recipes.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code align4j bench rl}: rollout tokens/s, one GRPO step and one PPO step of align4j at the model
 * directory's shape, and TRL's {@code GRPOTrainer} on the same model, prompts and settings ({@code
 * bench/grpo_step_trl.py}), each in a fresh process; align4j's GRPO and TRL's alternate (align4j first
 * on even repetitions), then align4j's PPO, which TRL 1.x no longer has. Prints each child, the means,
 * the align4j/TRL ratios, the per-phase peak RSS of align4j's steps and the load average around the run.
 */
public final class RlCompare {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to compare.
   *
   * @param javaArgs the launcher arguments of one align4j child, without {@code --in-process --algo}
   * @param scriptArgs {@code bench/grpo_step_trl.py}'s arguments
   */
  public record Plan(int repetitions, boolean ppo, List<String> javaArgs, Path python, Path script,
      List<String> scriptArgs) {}

  private RlCompare() {}

  /** The child's result line for {@code row}. */
  public static String json(RlBenchmark.Row r, int threads) {
    ObjectNode n = JSON.createObjectNode();
    RlBenchmark.Settings s = r.settings();
    n.put("side", "align4j");
    n.put("algo", s.algo().name().toLowerCase(Locale.ROOT));
    n.put("rows", s.rows());
    n.put("step_ms", r.stepMs());
    n.put("cpu_ms", r.cpuMs());
    n.put("gen_tokens_per_s", r.genTokensPerSec());
    n.put("gen_ms", r.phases().containsKey("generate") ? r.phases().get("generate").wallMs() : Double.NaN);
    n.put("gen_cpu_ms", r.phases().containsKey("generate") ? r.phases().get("generate").cpuMs() : Double.NaN);
    n.put("mean_completion", r.meanCompletion());
    n.put("setup_rss_mib", r.setupRssMiB());
    n.put("peak_rss_mib", r.peakRssMiB());
    n.put("trainable", r.trainable());
    n.put("loss", r.loss());
    n.put("threads", threads);
    n.put("separate_old_logprobs", s.separateOldLogProbs());
    n.put("joint_backward", s.jointBackward());
    n.put("checkpointing", s.checkpointing());
    ObjectNode fs = n.putObject("first_step");
    for (Map.Entry<String, long[]> e : r.firstStep().entrySet()) {
      ObjectNode p = fs.putObject(e.getKey());
      p.put("start_rss_mib", e.getValue()[0]);
      p.put("peak_rss_mib", e.getValue()[1]);
    }
    ObjectNode ph = n.putObject("phases");
    for (Map.Entry<String, RlBenchmark.PhaseStat> e : r.phases().entrySet()) {
      ObjectNode p = ph.putObject(e.getKey());
      p.put("ms", e.getValue().wallMs());
      p.put("cpu_ms", e.getValue().cpuMs());
      p.put("peak_rss_mib", e.getValue().peakRssMiB());
    }
    return n.toString();
  }

  /** Runs the plan; returns 0 when every child reported. */
  public static int run(Plan plan, PrintStream out) throws IOException, InterruptedException {
    String before = PreferenceCompare.loadAverage();
    List<JsonNode> rows = new ArrayList<>();
    int failures = 0;
    for (int rep = 0; rep < plan.repetitions(); rep++) {
      for (int k = 0; k < 2; k++) {
        boolean align4j = (k == 0) == (rep % 2 == 0);
        List<String> cmd = align4j ? java(plan, "GRPO") : python(plan);
        JsonNode n = child(cmd, out);
        failures += n == null ? 1 : 0;
        if (n != null) {
          rows.add(n);
        }
      }
      if (plan.ppo()) {
        JsonNode n = child(java(plan, "PPO"), out);
        failures += n == null ? 1 : 0;
        if (n != null) {
          rows.add(n);
        }
      }
    }
    String after = PreferenceCompare.loadAverage();
    out.printf("%-8s %-5s %6s %12s %14s %10s %10s %14s %10s %10s%n", "side", "algo", "rows", "gen tok/s",
        "gen tok/cpu-s", "step ms", "cpu ms", "mean length", "setup RSS", "peak RSS");
    double[][] grpo = new double[2][];
    for (String side : List.of("align4j", "trl")) {
      for (String algo : List.of("grpo", "ppo")) {
        List<JsonNode> xs = rows.stream().filter(n -> n.path("side").asText().equals(side)
            && n.path("algo").asText().equals(algo)).toList();
        if (xs.isEmpty()) {
          continue;
        }
        double gen = mean(xs, "gen_tokens_per_s");
        double genCpu = mean(xs, "gen_tokens_per_s") * mean(xs, "gen_ms") / mean(xs, "gen_cpu_ms");
        double step = mean(xs, "step_ms");
        double cpu = mean(xs, "cpu_ms");
        double peak = mean(xs, "peak_rss_mib");
        out.printf(Locale.ROOT, "%-8s %-5s %6d %12.1f %14.1f %10.1f %10.1f %14.1f %6.0f MiB %6.0f MiB%n", side, algo,
            xs.get(0).path("rows").asInt(), gen, genCpu, step, cpu, mean(xs, "mean_completion"), mean(xs, "setup_rss_mib"),
            peak);
        if (algo.equals("grpo")) {
          grpo[side.equals("align4j") ? 0 : 1] = new double[] {gen, step, cpu, peak, genCpu};
        }
      }
    }
    if (grpo[0] != null && grpo[1] != null) {
      out.printf(Locale.ROOT, "GRPO align4j/TRL: generation tokens/s %.2fx wall, %.2fx per CPU-second (> 1 is faster); "
          + "step wall %.2fx, step cpu %.2fx (< 1 is faster); peak RSS %.2fx%n", grpo[0][0] / grpo[1][0],
          grpo[0][4] / grpo[1][4], grpo[0][1] / grpo[1][1], grpo[0][2] / grpo[1][2], grpo[0][3] / grpo[1][3]);
    }
    for (JsonNode n : rows) {
      if (n.has("phases")) {
        StringBuilder b = new StringBuilder();
        n.get("phases").fields().forEachRemaining(e -> b.append(String.format(Locale.ROOT, "  %s %.0f ms / %d MiB",
            e.getKey(), e.getValue().path("ms").asDouble(), e.getValue().path("peak_rss_mib").asLong())));
        out.printf("align4j %s phases (time per step / peak RSS):%s%n", n.path("algo").asText(), b);
      }
    }
    out.printf("load average (1/5/15 min) before: %s, after: %s; %d repetition(s), means over them%n", before, after,
        plan.repetitions());
    return failures == 0 ? 0 : 1;
  }

  private static double mean(List<JsonNode> xs, String key) {
    return xs.stream().mapToDouble(n -> n.path(key).asDouble(Double.NaN)).average().orElse(Double.NaN);
  }

  private static List<String> java(Plan plan, String algo) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx8g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        "dev.align4j.recipes.Align4j"));
    cmd.addAll(plan.javaArgs());
    cmd.addAll(List.of("--in-process", "--algo", algo));
    return cmd;
  }

  private static List<String> python(Plan plan) {
    List<String> cmd = new ArrayList<>(List.of(plan.python().toString(), plan.script().toString()));
    cmd.addAll(plan.scriptArgs());
    return cmd;
  }

  /** Runs one child (see {@link BenchChild#run}) and prints its result line. */
  private static JsonNode child(List<String> cmd, PrintStream out) throws IOException, InterruptedException {
    JsonNode result = BenchChild.run(cmd, "bench rl: child");
    if (result != null) {
      out.println("  run: " + result);
    }
    return result;
  }
}
