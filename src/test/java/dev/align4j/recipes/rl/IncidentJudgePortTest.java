package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.rl.reward.RewardInput;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentVerdict;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Python port of the incident judge that {@code bench/grpo_trl_side_by_side.py} rewards TRL's GRPOTrainer
 * with gives the Java judge's verdicts: the golden {@code src/test/resources/rl/incident_judge_port.jsonl} (written
 * by that script's {@code judge-golden}) holds 400 reports the demo's SFT policy sampled through {@code align4j
 * generate --do-sample --temperature 1} and 12 hand-made edge cases (white space, a wrong event type or level, missing
 * or empty fields, stray separators), each with the port's verdict; the side-by-side's rewards are therefore the ones
 * {@code align4j grpo} trains on.
 */
class IncidentJudgePortTest {
  @Test
  void javaJudgeAgreesWithThePythonPortOnEverySampledReport() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/rl/incident_judge_port.jsonl"),
        StandardCharsets.UTF_8);
    ObjectMapper json = new ObjectMapper();
    IncidentJudge judge = new IncidentJudge();
    int[] points = new int[4];
    for (String line : lines) {
      JsonNode row = json.readTree(line);
      String completion = row.get("completion").asText();
      String reference = row.get("reference").asText();
      IncidentVerdict v = IncidentVerdict.of(completion, IncidentDataset.parse(reference.strip()).orElseThrow());
      assertThat(List.of(v.format(), v.eventType(), v.riskLevel())).as(line)
          .containsExactly(row.get("format").asBoolean(), row.get("event_type").asBoolean(),
              row.get("risk_level").asBoolean());
      Double reward = judge.score(new RewardInput("p", completion, new int[0], Map.of(PromptDataset.REFERENCE, reference)));
      assertThat(reward).as(line).isEqualTo(row.get("score").asDouble());
      points[v.points()]++;
    }
    assertThat(lines).hasSize(412);
    // the golden exercises the judge's cases: broken reports, wrong levels, fully right ones
    assertThat(points[0]).isGreaterThan(10);
    assertThat(points[2]).isGreaterThan(100);
    assertThat(points[3]).isGreaterThan(100);
  }
}
