package dev.align4j.recipes.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The search's results beside {@code search.jsonl}: {@code results.md} and {@code results.csv} (one
 * row per trial, the best marked), {@code objective.png} (the objective per trial, pruned trials
 * apart, and the best so far) and {@code best_recipe.yaml} (the base recipe with the fixed overrides,
 * the best trial's values and its seed: {@code align4j <stage> --config best_recipe.yaml} reruns it).
 * The tables and the recipe are rewritten after every trial, the plot when the search ends or stops.
 */
public final class SearchReport {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private SearchReport() {}

  /** The best trial that ran to its end (pruned and failed ones never win). */
  public static Optional<Trial> best(SearchSpec spec, List<Trial> trials) {
    return trials.stream()
        .filter(t -> t.status() == Trial.Status.OK && !Double.isNaN(t.objective()))
        .min(Comparator.comparingDouble((Trial t) -> spec.direction().toLoss(t.objective())).thenComparingInt(Trial::index));
  }

  /** Writes every report file (atomically); the plot only when {@code plot} (at the end: it costs a second or two). */
  public static void write(SearchSpec spec, List<Trial> trials, boolean plot) throws IOException {
    Path out = spec.outputDir();
    Optional<Trial> best = best(spec, trials);
    List<String> names = spec.space().names();
    StringBuilder md = new StringBuilder();
    StringBuilder csv = new StringBuilder("trial,status,").append(spec.metric()).append(",last_step,seed");
    md.append("| trial | status | ").append(spec.metric()).append(" (").append(spec.direction().name().toLowerCase(Locale.ROOT))
        .append(") | last step | seed |");
    for (String n : names) {
      md.append(' ').append(n).append(" |");
      csv.append(',').append(n);
    }
    md.append('\n').append("|---".repeat(5 + names.size())).append("|\n");
    csv.append('\n');
    for (Trial t : trials) {
      boolean isBest = best.isPresent() && best.get().index() == t.index();
      String obj = Double.isNaN(t.objective()) ? "" : String.format(Locale.ROOT, "%.6g", t.objective());
      String last = t.steps().length == 0 ? "" : Long.toString(t.steps()[t.steps().length - 1]);
      md.append("| ").append(String.format("%03d", t.index())).append(isBest ? " (best)" : "").append(" | ")
          .append(t.status().lower()).append(t.error().isEmpty() ? "" : ": " + t.error().replace("|", "/"))
          .append(" | ").append(obj).append(" | ").append(last).append(" | ").append(t.seed()).append(" |");
      csv.append(t.index()).append(',').append(t.status().lower()).append(',').append(obj).append(',').append(last)
          .append(',').append(t.seed());
      for (String n : names) {
        String v = SearchSpec.flow(t.params().get(n));
        md.append(' ').append(v).append(" |");
        csv.append(',').append(v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v);
      }
      md.append('\n');
      csv.append('\n');
    }
    best.ifPresent(b -> md.append("\nBest: trial ").append(String.format("%03d", b.index())).append(", ")
        .append(spec.metric()).append(' ').append(String.format(Locale.ROOT, "%.6g", b.objective()))
        .append("; recipe in best_recipe.yaml\n"));
    AtomicFiles.writeString(out.resolve("results.md"), md.toString());
    AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
    if (plot) {
      plot(spec, trials, out.resolve("objective.png"));
    }
    if (best.isPresent()) {
      AtomicFiles.writeString(out.resolve("best_recipe.yaml"), bestRecipe(spec, best.get()));
    }
  }

  /** The base recipe with the fixed overrides, the best values and the best trial's seed, as YAML. */
  static String bestRecipe(SearchSpec spec, Trial best) throws IOException {
    JsonNode base = YAML.readTree(spec.recipe().toFile());
    ObjectNode r = base != null && base.isObject() ? (ObjectNode) base : YAML.createObjectNode();
    spec.overrides().forEach(r::set);
    best.params().forEach(r::set);
    if (!best.params().containsKey("seed") && !spec.overrides().containsKey("seed")) {
      r.set("seed", LongNode.valueOf(best.seed()));
    }
    String header = String.format(Locale.ROOT, "# best of the search in %s: trial %03d, %s %.6g (%s)%n"
        + "# rerun: align4j %s --config best_recipe.yaml output_dir=...%n", spec.outputDir(), best.index(), spec.metric(),
        best.objective(), spec.direction().name().toLowerCase(Locale.ROOT), spec.stage());
    return header + YAML.writeValueAsString(r);
  }

  private static void plot(SearchSpec spec, List<Trial> trials, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Double> okX = new ArrayList<>();
    List<Double> okY = new ArrayList<>();
    List<Double> prX = new ArrayList<>();
    List<Double> prY = new ArrayList<>();
    List<Double> bestX = new ArrayList<>();
    List<Double> bestY = new ArrayList<>();
    double bestLoss = Double.POSITIVE_INFINITY;
    for (Trial t : trials) {
      if (Double.isNaN(t.objective()) || Double.isInfinite(t.objective())) {
        continue;
      }
      (t.status() == Trial.Status.OK ? okX : prX).add((double) t.index());
      (t.status() == Trial.Status.OK ? okY : prY).add(t.objective());
      if (t.status() == Trial.Status.OK && spec.direction().toLoss(t.objective()) < bestLoss) {
        bestLoss = spec.direction().toLoss(t.objective());
      }
      if (Double.isFinite(bestLoss)) {
        bestX.add((double) t.index());
        bestY.add(spec.direction().toLoss(bestLoss));   // toLoss is its own inverse
      }
    }
    if (okX.isEmpty() && prX.isEmpty()) {
      return;
    }
    XYChart chart = new XYChartBuilder().width(800).height(480).title("search: " + spec.metric() + " per trial")
        .xAxisTitle("trial").yAxisTitle(spec.metric()).build();
    if (!okX.isEmpty()) {
      XYSeries s = chart.addSeries("completed", okX, okY);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.CIRCLE);
    }
    if (!prX.isEmpty()) {
      XYSeries s = chart.addSeries("pruned (value at the stop)", prX, prY);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.CROSS);
    }
    if (!bestX.isEmpty()) {
      XYSeries s = chart.addSeries("best so far", bestX, bestY);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
      s.setMarker(SeriesMarkers.NONE);
    }
    Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".plot", ".png");
    BitmapEncoder.saveBitmap(chart, tmp.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    AtomicFiles.move(tmp, png);
  }
}
