package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG plots of the curves in a {@code metrics.jsonl} (XChart, headless). */
public final class CurvePlot {
  private CurvePlot() {}

  /**
   * Plots {@code field} (and {@code eval_field} when rows carry it) against {@code step} into
   * {@code png}; returns false when the log has no such values.
   */
  public static boolean plot(Path metrics, String field, String evalField, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    ObjectMapper json = new ObjectMapper();
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    List<Double> ex = new ArrayList<>();
    List<Double> ey = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = json.readTree(line);
      if (n.path(field).isNumber() && Double.isFinite(n.path(field).asDouble())) {
        xs.add(n.path("step").asDouble());
        ys.add(n.path(field).asDouble());
      }
      if (evalField != null && n.path(evalField).isNumber()) {
        ex.add(n.path("step").asDouble());
        ey.add(n.path(evalField).asDouble());
      }
    }
    if (xs.isEmpty()) {
      return false;
    }
    XYChart chart = new XYChartBuilder().width(800).height(480).title(field).xAxisTitle("step").yAxisTitle(field).build();
    chart.addSeries("train " + field, xs, ys);
    if (!ex.isEmpty()) {
      chart.addSeries(evalField, ex, ey);
    }
    Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".plot", ".png");
    BitmapEncoder.saveBitmap(chart, tmp.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    dev.align4j.peft.io.AtomicFiles.move(tmp, png);
    return true;
  }
}
