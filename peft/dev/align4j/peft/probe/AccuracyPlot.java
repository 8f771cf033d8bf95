package dev.align4j.peft.probe;

import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG of probe accuracy by layer (XChart, headless), written atomically. */
public final class AccuracyPlot {
  private AccuracyPlot() {}

  /** Plots held-out and training accuracy against the layer, with the majority baseline. */
  public static void write(List<LayerProbes.LayerResult> results, double baseline, String title, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Double> xs = new ArrayList<>();
    List<Double> eval = new ArrayList<>();
    List<Double> train = new ArrayList<>();
    List<Double> base = new ArrayList<>();
    for (LayerProbes.LayerResult r : results) {
      xs.add((double) r.layer());
      eval.add(r.evalAccuracy());
      train.add(r.trainAccuracy());
      base.add(baseline);
    }
    XYChart chart = new XYChartBuilder().width(800).height(480).title(title)
        .xAxisTitle("layer (0 = embeddings)").yAxisTitle("accuracy").build();
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    chart.addSeries("held-out", xs, eval);
    chart.addSeries("train", xs, train);
    chart.addSeries("majority class", xs, base);
    Path dir = png.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".plot", ".png");
    BitmapEncoder.saveBitmap(chart, tmp.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    AtomicFiles.move(tmp, png);
  }
}
