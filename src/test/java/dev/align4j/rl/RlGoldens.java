package dev.align4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The goldens of {@code src/test/resources/rl/make_rl_goldens.py} (OpenRLHF's and TRL's own code in
 * float64) and comparison helpers. The system property {@code align4j.rl.goldens} replaces the committed
 * file with another one (the interop check's live regeneration).
 */
public final class RlGoldens {
  private static JsonNode root;

  private RlGoldens() {}

  /** The cases of one kind (e.g. {@code grpo_loss}). */
  public static synchronized List<JsonNode> cases(String kind) {
    if (root == null) {
      // interop/checks/check_rl_losses.py points this at goldens regenerated live from TRL
      String live = System.getProperty("align4j.rl.goldens");
      try (InputStream in = live != null ? Files.newInputStream(Path.of(live))
          : RlGoldens.class.getResourceAsStream("/rl/rl_goldens.json")) {
        root = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build().readTree(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    List<JsonNode> out = new ArrayList<>();
    root.get("cases").get(kind).forEach(out::add);
    assertThat(out).as("golden cases " + kind).isNotEmpty();
    return out;
  }

  /** A {@code [B, T]} matrix. */
  public static double[][] mat(JsonNode n) {
    double[][] out = new double[n.size()][];
    for (int i = 0; i < n.size(); i++) {
      out[i] = vec(n.get(i));
    }
    return out;
  }

  /** A vector; JSON NaN reads as NaN. */
  public static double[] vec(JsonNode n) {
    double[] out = new double[n.size()];
    for (int i = 0; i < n.size(); i++) {
      out[i] = n.get(i).asDouble();
    }
    return out;
  }

  /** A 0/1 mask. */
  public static boolean[][] mask(JsonNode n) {
    boolean[][] out = new boolean[n.size()][];
    for (int i = 0; i < n.size(); i++) {
      out[i] = new boolean[n.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = n.get(i).get(j).asDouble() != 0;
      }
    }
    return out;
  }

  /** Asserts {@code |a - e| <= tol * max(1, |e|)} everywhere (NaN must match NaN). */
  public static void assertClose(String what, double[][] actual, double[][] expected, double tol) {
    assertThat(actual.length).as(what + " rows").isEqualTo(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertClose(what + "[" + i + "]", actual[i], expected[i], tol);
    }
  }

  /** Vector version of {@link #assertClose(String, double[][], double[][], double)}. */
  public static void assertClose(String what, double[] actual, double[] expected, double tol) {
    assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
    for (int j = 0; j < expected.length; j++) {
      assertClose(what + "[" + j + "]", actual[j], expected[j], tol);
    }
  }

  /** Scalar version: relative above 1, absolute below. */
  public static void assertClose(String what, double actual, double expected, double tol) {
    if (Double.isNaN(expected)) {
      assertThat(actual).as(what).isNaN();
      return;
    }
    assertThat(Math.abs(actual - expected)).as(what + ": " + actual + " vs " + expected)
        .isLessThanOrEqualTo(tol * Math.max(1, Math.abs(expected)));
  }
}
