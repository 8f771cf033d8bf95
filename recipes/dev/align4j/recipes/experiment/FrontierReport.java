package dev.align4j.recipes.experiment;

import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.train.ScatterPlot;
import dev.align4j.recipes.eval.PolicyEval;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The frontier's files: {@code frontier.csv}, {@code frontier.md} (table and command) and {@code frontier.png}. */
public final class FrontierReport {
  /** The CSV header. */
  static final String HEADER = "method,param,value,step,judge_greedy,format,event_type,risk_level,judge_sampled,kl,"
      + "kl_stderr,samples";

  private FrontierReport() {}

  /** A number as recipes write it: shortest exact decimal ({@code 0.1}, {@code 2}). */
  static String num(double v) {
    return Double.isNaN(v) ? "" : new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
  }

  private static String f4(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** The CSV text (4 decimals, the same bytes for the same numbers). */
  static String csv(List<FrontierPoint> points) {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    for (FrontierPoint p : points) {
      PolicyEval e = p.eval();
      b.append(String.join(",", p.method(), p.param(), num(p.value()), Long.toString(p.step()), f4(e.greedy().mean()),
          f4(e.greedy().format()), f4(e.greedy().eventType()), f4(e.greedy().riskLevel()), f4(e.sampledReward()),
          f4(e.kl()), f4(e.klStdErr()), Integer.toString(e.samples()))).append('\n');
    }
    return b.toString();
  }

  /** The Markdown page: what was run, the table, the plot and the exact command. */
  static String markdown(List<FrontierPoint> points, FrontierConfig cfg, String command, double seconds) {
    StringBuilder b = new StringBuilder("# Reward vs KL frontier on the incident task\n\n");
    int prompts = points.isEmpty() ? 0 : points.get(0).eval().greedy().count();
    b.append(String.format(Locale.ROOT, "PPO (`%s`, the judge as reward) at kl_coef %s for %d steps and DPO (`%s`, %d"
        + " pairs) at beta %s for %d steps, all from the demo's SFT adapter (also the reference), each measured"
        + " at its saved checkpoints (halfway and at the end unless save_steps is overridden) on %d held-out"
        + " alerts: the judge's score of the greedy report (0..1: a third each"
        + " for format, event type, risk level) and of %d samples per alert at temperature 1, against the"
        + " Monte-Carlo KL(policy || SFT) of those samples (sum over tokens of log-ratios, nats; +- one standard"
        + " error). The plot shows the greedy score against that KL (the demo's table scores greedy reports"
        + " too; the sampled score is in the table). Seed %d; %.0f s on this"
        + " machine.%n%n", FrontierExperiment.PPO_RECIPE, list(cfg.klCoefs()),
        cfg.ppoSteps(), FrontierExperiment.DPO_RECIPE, cfg.pairs(), list(cfg.betas()), cfg.dpoSteps(), prompts,
        cfg.samplesPerPrompt(), cfg.seed(), seconds));
    b.append("| run | step | judge (greedy) | format | event type | risk level | judge (sampled) | KL to SFT |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (FrontierPoint p : points) {
      PolicyEval e = p.eval();
      b.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.1f%% | %.1f%% | %.1f%% | %.3f | %.3f +- %.3f |%n", p.run(),
          p.step(), e.greedy().mean(), 100 * e.greedy().format(), 100 * e.greedy().eventType(),
          100 * e.greedy().riskLevel(), e.sampledReward(), e.kl(), e.klStdErr()));
    }
    b.append("\n![reward vs KL](frontier.png)\n\nRegenerate (same numbers for the same seed on the same machine):\n\n```bash\n")
        .append(command).append("\n```\n");
    return b.toString();
  }

  private static String list(List<Double> xs) {
    List<String> out = new ArrayList<>();
    xs.forEach(x -> out.add(num(x)));
    return String.join(", ", out);
  }

  /**
   * Held-out judge score (greedy reports) against the KL of the policy's own samples, one marker per
   * method, each run's checkpoints joined from the SFT point. Greedy, as the demo's table scores the
   * policies (the sampled score is in the table).
   */
  static void plot(List<FrontierPoint> points, Path png) throws IOException {
    FrontierPoint sft = points.stream().filter(p -> p.method().equals("SFT")).findFirst().orElse(null);
    Map<String, List<FrontierPoint>> byRun = new LinkedHashMap<>();
    for (FrontierPoint p : points) {
      if (p != sft) {
        byRun.computeIfAbsent(p.run(), k -> new ArrayList<>()).add(p);
      }
    }
    List<ScatterPlot.Series> series = new ArrayList<>();
    for (List<FrontierPoint> run : byRun.values()) {
      int n = run.size() + (sft == null ? 0 : 1);
      double[] x = new double[n];
      double[] y = new double[n];
      int i = 0;
      if (sft != null) {
        x[i] = sft.eval().kl();
        y[i++] = sft.eval().greedy().mean();
      }
      for (FrontierPoint p : run) {
        x[i] = p.eval().kl();
        y[i++] = p.eval().greedy().mean();
      }
      series.add(new ScatterPlot.Series(run.get(0).method(), x, y, true));
    }
    if (sft != null) {
      // last, so that its marker is drawn over the runs' lines that start there
      series.add(new ScatterPlot.Series("SFT", new double[] {sft.eval().kl()}, new double[] {sft.eval().greedy().mean()},
          false));
    }
    ScatterPlot.write(series, "Incident task: judge reward vs KL to the SFT reference",
        "KL(policy || SFT) of T = 1 samples, nats per completion", "held-out judge score (greedy, 0..1)", 0, 1, png);
  }

  /** Writes the three files into {@code dir}. */
  static void write(List<FrontierPoint> points, FrontierConfig cfg, String command, double seconds, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("frontier.csv"), csv(points));
    AtomicFiles.writeString(dir.resolve("frontier.md"), markdown(points, cfg, command, seconds));
    plot(points, dir.resolve("frontier.png"));
  }
}
