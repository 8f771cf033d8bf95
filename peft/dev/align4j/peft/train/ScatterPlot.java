package dev.align4j.peft.train;

import dev.align4j.peft.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG of point series in the plane (XChart, headless), written atomically: each series a group's
 * points, joined by a line or not; series of one group share colour and marker and the legend names
 * each group once (e.g. a reward-vs-KL frontier: one group per method, one series per run).
 */
public final class ScatterPlot {
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};
  private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE,
      SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS};

  /**
   * One series.
   *
   * @param group the legend entry (colour and marker) it belongs to
   * @param x abscissae
   * @param y ordinates, as many
   * @param joined whether a line joins its points in order
   */
  public record Series(String group, double[] x, double[] y, boolean joined) {
    /** Checks the lengths. */
    public Series {
      if (x.length != y.length || x.length == 0) {
        throw new IllegalArgumentException("series '" + group + "': " + x.length + " x values, " + y.length + " y values");
      }
      x = x.clone();
      y = y.clone();
    }
  }

  private ScatterPlot() {}

  /** Plots {@code series} into {@code png}, the axes fitted to the points. */
  public static void write(List<Series> series, String title, String xTitle, String yTitle, Path png)
      throws IOException {
    write(series, title, xTitle, yTitle, Double.NaN, Double.NaN, png);
  }

  /** Plots {@code series} into {@code png} with the y axis from {@code yMin} to {@code yMax} (NaN: fitted). */
  public static void write(List<Series> series, String title, String xTitle, String yTitle, double yMin, double yMax,
      Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
    chart.getStyler().setYAxisDecimalPattern("0.00").setXAxisDecimalPattern("0.0#");
    if (!Double.isNaN(yMin)) {
      chart.getStyler().setYAxisMin(yMin);
    }
    if (!Double.isNaN(yMax)) {
      chart.getStyler().setYAxisMax(yMax);
    }
    Map<String, Integer> groups = new LinkedHashMap<>();
    int n = 0;
    for (Series s : series) {
      boolean first = !groups.containsKey(s.group());
      int g = groups.computeIfAbsent(s.group(), k -> groups.size());
      // XChart needs unique series names; the legend shows only the first of each group
      XYSeries xy = chart.addSeries(first ? s.group() : s.group() + " #" + (++n), s.x(), s.y());
      xy.setMarker(MARKERS[g % MARKERS.length]);
      xy.setMarkerColor(COLORS[g % COLORS.length]);
      xy.setLineColor(COLORS[g % COLORS.length]);
      xy.setXYSeriesRenderStyle(s.joined() ? XYSeries.XYSeriesRenderStyle.Line : XYSeries.XYSeriesRenderStyle.Scatter);
      xy.setShowInLegend(first);
    }
    Path dir = png.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".plot", ".png");
    BitmapEncoder.saveBitmap(chart, tmp.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    AtomicFiles.move(tmp, png);
  }
}
