package dev.align4j.recipes.bench;

import dev.align4j.peft.io.AtomicFiles;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The scaling plot of {@code bench compare --seqs ... --plot}: CPU time per step and the steps' peak
 * memory against tokens per step (batch x sequence length), one series per side, method, precision and
 * batch size, the two charts side by side in one PNG (XChart, headless; written atomically).
 */
final class ScalingPlot {
  private ScalingPlot() {}

  static void write(List<CompareBenchmark.Run> runs, String shape, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart time = chart("CPU time per step (" + shape + ", 1 thread)", "CPU s / step");
    XYChart memory = chart("peak RSS of the steps", "MiB");
    Map<String, List<CompareBenchmark.Run>> series = new LinkedHashMap<>();
    for (CompareBenchmark.Run r : runs) {
      if (!Double.isNaN(r.stepMs())) {
        String side = r.side().equals("hf") ? "transformers+PEFT" : "align4j";
        series.computeIfAbsent(side + " " + r.method() + " " + r.precision() + " batch " + r.batch(),
            k -> new ArrayList<>()).add(r);
      }
    }
    for (Map.Entry<String, List<CompareBenchmark.Run>> e : series.entrySet()) {
      add(time, e.getKey(), e.getValue(), r -> r.cpuMs() / 1000);
      // the steps' own peak where Linux let the counter be reset, else the process peak
      add(memory, e.getKey(), e.getValue(), r -> Double.isNaN(r.stepPeakRssMiB()) ? r.peakRssMiB() : r.stepPeakRssMiB());
    }
    BufferedImage a = BitmapEncoder.getBufferedImage(time);
    BufferedImage b = BitmapEncoder.getBufferedImage(memory);
    BufferedImage both = new BufferedImage(a.getWidth() + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = both.createGraphics();
    g.drawImage(a, 0, 0, null);
    g.drawImage(b, a.getWidth(), 0, null);
    g.dispose();
    Path dir = png.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".scaling", ".png");
    ImageIO.write(both, "png", tmp.toFile());
    AtomicFiles.move(tmp, png);
  }

  private static XYChart chart(String title, String y) {
    XYChart c = new XYChartBuilder().width(760).height(520).title(title).xAxisTitle("tokens per step (batch x seq)")
        .yAxisTitle(y).build();
    c.getStyler().setXAxisLogarithmic(true);
    c.getStyler().setYAxisLogarithmic(true);
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    return c;
  }

  private static void add(XYChart c, String name, List<CompareBenchmark.Run> rs, ToDoubleFunction<CompareBenchmark.Run> y) {
    // one point per tokens-per-step: the median over rounds
    Map<Integer, List<Double>> by = new java.util.TreeMap<>();
    for (CompareBenchmark.Run r : rs) {
      by.computeIfAbsent(r.batch() * r.seq(), k -> new ArrayList<>()).add(y.applyAsDouble(r));
    }
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (Map.Entry<Integer, List<Double>> e : by.entrySet()) {
      List<Double> v = new ArrayList<>(e.getValue());
      v.sort(Comparator.naturalOrder());
      xs.add((double) e.getKey());
      ys.add(v.get(v.size() / 2));
    }
    c.addSeries(name, xs, ys).setMarker(SeriesMarkers.CIRCLE);
  }
}
