package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden {@code align4j dpo-loss-eval} that the interop check drives: same numbers as TRL's goldens. */
class DpoLossEvalCommandTest {
  @TempDir Path dir;

  @Test
  void writesAlign4jResultsForGoldenCases() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode doc;
    try (InputStream in = getClass().getResourceAsStream("/dpo/loss_goldens.json")) {
      doc = json.readTree(in);
    }
    // three cases keep it fast: DPO with f-divergence, KTO, SimPO
    ObjectNode small = ((ObjectNode) doc).deepCopy();
    ArrayNode cases = small.putArray("cases");
    for (JsonNode c : doc.path("cases")) {
      String n = c.path("name").asText();
      if (n.equals("sigmoid_js_divergence") || n.equals("kto") || n.equals("simpo")) {
        cases.add(c);
      }
    }
    Path in = dir.resolve("cases.json");
    Path out = dir.resolve("out.json");
    Files.writeString(in, json.writeValueAsString(small));
    assertThat(Align4j.execute("dpo-loss-eval", "--device", "cpu", "--input", in.toString(), "--output",
        out.toString())).isZero();
    JsonNode got = json.readTree(out.toFile()).path("cases");
    assertThat(got).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonNode exp = cases.get(i).path("expected");
      assertThat(got.get(i).path("name").asText()).isEqualTo(cases.get(i).path("name").asText());
      assertThat(got.get(i).path("loss").asDouble()).isCloseTo(exp.path("loss").asDouble(),
          Offset.offset(1e-9));
      assertThat(got.get(i).path("grad_policy_logits").size()).isEqualTo(exp.path("grad_policy_logits").size());
    }
    assertThat(Align4j.execute("dpo-loss-eval", "--input", dir.resolve("missing.json").toString(), "--output",
        out.toString())).isEqualTo(1);
  }
}
