package dev.align4j.recipes.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code incident_data} stage's pre-training text: the training alerts alone by default; with
 * {@code pt_reports} the training reports follow, each as a text of its own, so that pre-training sees
 * every character of the reports (the risk levels occur nowhere else) without an alert paired with
 * its report.
 */
class IncidentDataStageTest {
  @TempDir Path tmp;

  private static final String PIPELINE = """
      output_dir: OUT
      seed: 11
      stages:
        - name: data
          kind: incident_data
          overrides: {examples: 40, val_size: 5, pairs: 8, pairs_heldout: 4EXTRA}
      """;

  private Path run(String name, String extra) throws IOException {
    Path out = tmp.resolve(name);
    Path yaml = tmp.resolve(name + ".yaml");
    Files.writeString(yaml, PIPELINE.replace("OUT", out.toString()).replace("EXTRA", extra));
    PipelineRun.run(PipelineRecipe.load(yaml, List.of()), Device.cpu());
    return out.resolve("data");
  }

  private static List<JsonNode> lines(Path f) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(f)) {
      out.add(json.readTree(l));
    }
    return out;
  }

  @Test
  void ptTextIsTheAlertsAloneOrTheAlertsThenTheReports() throws IOException {
    Path plain = run("plain", "");
    Path withReports = run("reports", ", pt_reports: true");
    List<JsonNode> train = lines(plain.resolve("train.jsonl"));
    assertThat(lines(withReports.resolve("train.jsonl"))).isEqualTo(train);   // the key changes pt.jsonl only

    List<String> alerts = new ArrayList<>();
    List<String> reports = new ArrayList<>();
    for (JsonNode r : train) {
      alerts.add(r.get("instruction").asText() + "\n" + r.get("input").asText());
      reports.add(r.get("output").asText());
    }
    List<String> ptPlain = lines(plain.resolve("pt.jsonl")).stream().map(n -> n.get("text").asText()).toList();
    assertThat(ptPlain).isEqualTo(alerts);
    List<String> ptReports = lines(withReports.resolve("pt.jsonl")).stream().map(n -> n.get("text").asText()).toList();
    List<String> expected = new ArrayList<>(alerts);
    expected.addAll(reports);
    assertThat(ptReports).isEqualTo(expected);
    // every risk level the reports name now occurs in the pre-training text; without the key none does
    for (String level : List.of("低", "中", "高", "严重")) {
      assertThat(String.join("", ptPlain)).doesNotContain("：" + level);
      if (reports.stream().anyMatch(r -> r.contains("风险等级：" + level + "；"))) {
        assertThat(ptReports).anyMatch(t -> t.contains("风险等级：" + level + "；"));
      }
    }
  }

  @Test
  void rewardModelPairsLieOnNewAlertsAndLeaveTheOtherPairsAsTheyWere() throws IOException {
    Path plain = run("plain_rm", "");
    Path withRm = run("rm", ", rm_pairs: 30, rm_risk_weight: 4");
    assertThat(plain.resolve("pairs_rm.jsonl")).doesNotExist();
    for (String f : List.of("train.jsonl", "val.jsonl", "pt.jsonl", "pairs_train.jsonl", "pairs_val.jsonl")) {
      assertThat(withRm.resolve(f)).as(f).hasSameBinaryContentAs(plain.resolve(f));
    }
    List<JsonNode> rm = lines(withRm.resolve("pairs_rm.jsonl"));
    assertThat(rm).hasSize(30);
    List<JsonNode> others = new ArrayList<>(lines(plain.resolve("pairs_train.jsonl")));
    others.addAll(lines(plain.resolve("pairs_val.jsonl")));
    List<String> rmAlerts = rm.stream().map(n -> n.get("prompt").toString()).toList();
    assertThat(rmAlerts).doesNotHaveDuplicates();
    for (JsonNode o : others) {
      assertThat(rmAlerts).doesNotContain(o.get("prompt").toString());
    }
    // 4:1:1 of 30: about 20 wrong-risk pairs (binomial sd 2.6)
    long risk = rm.stream().filter(n -> n.get("kind").asText().equals("wrong_risk_level")).count();
    assertThat(risk).isBetween(13L, 27L);
  }
}
