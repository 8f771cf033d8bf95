package dev.align4j.recipes.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The pipeline's report, a function of the stage markers alone (a rerun that skips every stage writes
 * the same files): per stage its time, outputs and key metrics; the evaluation table of each {@code
 * eval} stage. Written as {@code report.md} and {@code report.json} in the pipeline's output_dir.
 */
public final class PipelineReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PipelineReport() {}

  /** Writes report.md and report.json and prints the Markdown. */
  static void write(PipelineRecipe p, List<StageMarker> stages) throws IOException {
    String md = markdown(p, stages);
    AtomicFiles.writeString(p.outputDir().resolve("report.md"), md);
    ObjectNode json = JSON.createObjectNode();
    json.put("output_dir", p.outputDir().toString());
    json.put("seed", p.seed());
    json.put("seconds", stages.stream().mapToDouble(StageMarker::seconds).sum());
    ArrayNode a = json.putArray("stages");
    stages.forEach(s -> a.add(s.toJson()));
    AtomicFiles.writeString(p.outputDir().resolve("report.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    System.out.println();
    System.out.print(md);
  }

  /** The report as Markdown. */
  static String markdown(PipelineRecipe p, List<StageMarker> stages) {
    StringBuilder sb = new StringBuilder();
    double total = stages.stream().mapToDouble(StageMarker::seconds).sum();
    sb.append(String.format(Locale.ROOT, "# Pipeline %s (seed %d): %d stages, %.0f s%n%n", p.outputDir(), p.seed(),
        stages.size(), total));
    sb.append("| stage | kind | time | outputs | key metrics |\n|---|---|---|---|---|\n");
    for (StageMarker s : stages) {
      String outs = s.outputs().entrySet().stream().filter(e -> !e.getKey().equals("base") && !e.getKey().equals("output_dir"))
          .map(e -> e.getKey() + ": `" + e.getValue() + "`").collect(Collectors.joining("<br>"));
      sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f s | %s | %s |%n", s.name(), s.kind().id(), s.seconds(),
          outs.isEmpty() ? "`" + s.outputs().get("output_dir") + "`" : outs,
          s.kind() == StageKind.EVAL ? "(below)" : metricsText(s, 20)));
    }
    for (StageMarker s : stages) {
      if (s.kind() == StageKind.EVAL) {
        sb.append('\n').append(evalTable(s));
      }
    }
    return sb.toString();
  }

  /** {@code key value, ...} of a stage's metrics (at most {@code max}). */
  static String metricsText(StageMarker s, int max) {
    return s.metrics().entrySet().stream().limit(max).map(e -> e.getKey() + " " + number(e.getValue()))
        .collect(Collectors.joining(", "));
  }

  private static String number(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
  }

  /** An eval stage's table: one row per policy, the judge score and its parts, the RM score, the KL. */
  static String evalTable(StageMarker s) {
    Map<String, Map<String, Double>> byPolicy = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : s.metrics().entrySet()) {
      int slash = e.getKey().indexOf('/');
      String policy = e.getKey().substring(0, slash);
      if (!policy.equals("rm")) {
        byPolicy.computeIfAbsent(policy, k -> new LinkedHashMap<>()).put(e.getKey().substring(slash + 1), e.getValue());
      }
    }
    Set<String> cols = new LinkedHashSet<>();
    byPolicy.values().forEach(m -> cols.addAll(m.keySet()));
    cols.remove("kl_stderr");   // shown with the KL
    List<String> header = new ArrayList<>(List.of("policy"));
    cols.forEach(c -> header.add(label(c)));
    StringBuilder sb = new StringBuilder();
    sb.append("Held-out evaluation (`").append(s.outputs().get("output_dir")).append("`)");
    Double acc = s.metrics().get("rm/pair_accuracy");
    if (acc != null) {
      sb.append(String.format(Locale.ROOT, "; reward model's held-out pair accuracy %.1f%% (%s pairs)", 100 * acc,
          number(s.metrics().getOrDefault("rm/pairs", Double.NaN))));
    }
    sb.append(":\n\n| ").append(String.join(" | ", header)).append(" |\n|");
    sb.append("---|".repeat(header.size())).append('\n');
    byPolicy.forEach((policy, m) -> {
      sb.append("| ").append(policy);
      for (String c : cols) {
        Double v = m.get(c);
        Double se = m.get("kl_stderr");
        sb.append(" | ").append(v == null ? "-" : isShare(c) ? String.format(Locale.ROOT, "%.1f%%", 100 * v)
            : c.equals("kl") && se != null && !se.isNaN() ? String.format(Locale.ROOT, "%.4f ± %.4f", v, se)
            : String.format(Locale.ROOT, "%.4f", v));
      }
      sb.append(" |\n");
    });
    return sb.toString();
  }

  private static boolean isShare(String col) {
    return List.of("format", "event_type", "risk_level", "sampled_format", "sampled_event_type", "sampled_risk_level")
        .contains(col);
  }

  private static String label(String col) {
    return switch (col) {
      case "judge" -> "judge score (greedy)";
      case "format" -> "format";
      case "event_type" -> "event type";
      case "risk_level" -> "risk level";
      case "sampled_judge" -> "judge score (sampled, T 1)";
      case "sampled_format" -> "format (sampled)";
      case "sampled_event_type" -> "event type (sampled)";
      case "sampled_risk_level" -> "risk level (sampled)";
      case "rm_score" -> "RM score";
      case "kl" -> "KL to reference (± std. error)";
      default -> col;
    };
  }
}
