package dev.align4j.recipes.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The result of a benchmark child is its last JSON line with a step time; a failure is null, not a throw. */
class BenchChildTest {
  @Test
  void theLastJsonLineWithAStepTimeIsTheResult() throws Exception {
    JsonNode r = BenchChild.run(List.of("sh", "-c", "echo '{\"step_ms\": 1}'; echo '{not json'; echo '{\"other\": 2}';"
        + " echo '{\"step_ms\": 7, \"peak_rss_mib\": 3}'; echo done"), "test child");
    assertThat(r).isNotNull();
    assertThat(r.get("step_ms").asDouble()).isEqualTo(7.0);
    assertThat(r.get("peak_rss_mib").asInt()).isEqualTo(3);
  }

  @Test
  void aFailedOrSilentChildGivesNull() throws Exception {
    assertThat(BenchChild.run(List.of("sh", "-c", "echo '{\"step_ms\": 1}'; echo boom >&2; exit 3"), "test child")).isNull();
    assertThat(BenchChild.run(List.of("sh", "-c", "echo no result"), "test child")).isNull();
  }
}
