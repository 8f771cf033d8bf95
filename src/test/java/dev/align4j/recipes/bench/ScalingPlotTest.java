package dev.align4j.recipes.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `bench compare --runs` log round-trips its runs, names a bad line, and plots them as a PNG. */
class ScalingPlotTest {
  @TempDir Path dir;

  @Test
  void runsLogRoundTripsAndPlots() throws Exception {
    List<CompareBenchmark.Run> runs = List.of(
        new CompareBenchmark.Run("align4j", "lora", "float32", 1, 256, 100, 50, 45, 5, 90, 1500, 1500, 10.8, 3.0),
        new CompareBenchmark.Run("align4j", "lora", "float32", 1, 512, 210, 100, 100, 10, 190, 2200, Double.NaN, 10.8, 3.0),
        new CompareBenchmark.Run("hf", "lora", "float32", 1, 256, 95, 50, 40, 5, 85, 1700, 1700, 10.8, 3.0),
        new CompareBenchmark.Run("hf", "lora", "float32", 1, 512, 200, 100, 95, 5, 180, 2500, 2500, 10.8, 3.0));
    Path log = dir.resolve("runs.jsonl");
    StringBuilder sb = new StringBuilder();
    for (CompareBenchmark.Run r : runs) {
      sb.append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(r)).append('\n');
    }
    Files.writeString(log, sb + "\n");
    assertThat(CompareBenchmark.readLog(log)).isEqualTo(runs);   // NaN included (records compare doubles by bits)
    Path png = dir.resolve("out/scaling.png");
    ScalingPlot.write(CompareBenchmark.readLog(log), "tiny", png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isGreaterThan(img.getHeight());   // the two charts side by side
    Files.writeString(log, sb + "{\"side\": \"hf\", \"seq\": \"long\"}\n");
    assertThatThrownBy(() -> CompareBenchmark.readLog(log)).hasMessageContaining("runs.jsonl line 5");
  }
}
