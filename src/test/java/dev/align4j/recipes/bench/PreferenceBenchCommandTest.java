package dev.align4j.recipes.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.recipes.Align4j;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@code align4j bench rm} and {@code bench dpo} measure one step on the tiny shape (seconds) and print
 * the fields the side-by-side table reads. The trainable count is hand-derived (LoRA r16 on the tiny
 * shape's 7 linears x 2 layers: r x (in + out) each = 77,824; the reward model adds its 128-weight
 * score head, as PEFT's SEQ_CLS does); a DPO step that starts with the adapter at zero has policy ==
 * reference, so its loss is exactly ln 2 with the reference live or cached.
 */
class PreferenceBenchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode run(String target, String mode) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = Align4j.execute(new String[] {"bench", target, "--in-process", "--mode", mode, "--shape", "tiny", "--batch",
          "2", "--seq", "8", "--steps", "1", "--warmup", "0"});
    } finally {
      System.setOut(old);
    }
    assertThat(rc).isZero();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("{")) {
        rows.add(JSON.readTree(line));
      }
    }
    assertThat(rows).hasSize(1);
    JsonNode r = rows.get(0);
    for (String f : List.of("side", "mode", "pairs", "seq", "step_ms", "cpu_ms", "peak_rss_mib", "trainable", "loss")) {
      assertThat(r.has(f)).as(f).isTrue();
    }
    assertThat(r.get("side").asText()).isEqualTo("align4j");
    assertThat(r.get("pairs").asInt()).isEqualTo(2);
    assertThat(r.get("seq").asInt()).isEqualTo(8);
    assertThat(r.get("step_ms").asDouble()).isPositive();
    assertThat(r.get("cpu_ms").asDouble()).isPositive();
    assertThat(r.get("peak_rss_mib").asDouble()).isPositive();
    return r;
  }

  @Test
  void rmStepPrintsItsFields() throws Exception {
    JsonNode r = run("rm", "RM");
    assertThat(r.get("mode").asText()).isEqualTo("rm");
    assertThat(r.get("trainable").asLong()).isEqualTo(77_824 + 128);
    assertThat(r.get("loss").asDouble()).isPositive().isFinite();
  }

  @Test
  void dpoStepsLiveAndCachedStartAtLn2() throws Exception {
    for (String mode : List.of("DPO_LIVE", "DPO_CACHED")) {
      JsonNode r = run("dpo", mode);
      assertThat(r.get("mode").asText()).isEqualTo(mode.toLowerCase());
      assertThat(r.get("trainable").asLong()).isEqualTo(77_824);
      assertThat(r.get("loss").asDouble()).isCloseTo(Math.log(2), Offset.offset(1e-6));
    }
  }

  @Test
  void aModeOfTheOtherBenchIsRefused() {
    assertThat(Align4j.execute(new String[] {"bench", "rm", "--in-process", "--mode", "DPO_LIVE", "--shape", "tiny"}))
        .isNotZero();
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(PreferenceCompare.median(new double[] {4, 1, 3})).isEqualTo(3);
    assertThat(PreferenceCompare.median(new double[] {4, 1})).isEqualTo(2.5);
  }
}
