package dev.align4j.recipes.experiment;

import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.recipes.experiment.ProbeExperiment.Result;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** The probe experiment's plot: one panel per label (rows) and pooling (columns), a line per model. */
final class ProbePlot {
  private static final int W = 640;
  private static final int H = 400;

  private ProbePlot() {}

  /** Writes the panels into one PNG, atomically. */
  static void write(List<Result> results, List<String> models, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<String> labels = ProbeExperiment.LABELS;
    List<String> poolings = ProbeExperiment.POOLINGS;
    BufferedImage all = new BufferedImage(W * poolings.size(), H * labels.size(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = all.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, all.getWidth(), all.getHeight());
    for (int i = 0; i < labels.size(); i++) {
      for (int j = 0; j < poolings.size(); j++) {
        XYChart chart = panel(results, models, labels.get(i), poolings.get(j));
        g.drawImage(BitmapEncoder.getBufferedImage(chart), j * W, i * H, null);
      }
    }
    g.dispose();
    Path dir = png.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".plot", ".png");
    ImageIO.write(all, "png", tmp.toFile());
    AtomicFiles.move(tmp, png);
  }

  private static XYChart panel(List<Result> results, List<String> models, String label, String pooling) {
    XYChart chart = new XYChartBuilder().width(W).height(H).title(label + ", " + pooling + " pooling: held-out accuracy")
        .xAxisTitle("hidden state (0 = embeddings)").yAxisTitle("accuracy").build();
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    double baseline = Double.NaN;
    int layers = 0;
    for (String model : models) {
      for (Result r : results) {
        if (r.subject().equals(model) && r.label().equals(label) && r.pooling().equals(pooling)) {
          List<Double> xs = new ArrayList<>();
          List<Double> ys = new ArrayList<>();
          for (int l = 0; l < r.eval().length; l++) {
            xs.add((double) l);
            ys.add(r.eval()[l]);
          }
          chart.addSeries(model, xs, ys);
          baseline = r.baseline();
          layers = r.eval().length;
        }
      }
    }
    if (layers > 0) {
      chart.addSeries("majority class", List.of(0.0, layers - 1.0), List.of(baseline, baseline));
    }
    return chart;
  }
}
