package dev.align4j.recipes.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.Align4j;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j probe} and {@code align4j data incident} end to end on a tiny random Qwen3 model. */
class ProbeCommandTest {
  @TempDir static Path tmp;
  static Path model;
  static Path incident;

  @BeforeAll
  static void setUp() throws Exception {
    incident = tmp.resolve("incident.jsonl");
    assertThat(Align4j.execute("data", "incident", "--out", incident.toString(), "--examples", "40", "--seed", "3"))
        .isZero();
    model = tmp.resolve("m");
    List<String> corpus = new ArrayList<>(Files.readAllLines(incident));
    corpus.add("aaaa bbbb");
    int vocab = CharTokenizer.write(model, corpus);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN3, vocab, 32, 64, 2, 4, 2, 8, 1e-6, 1e4, null, 256,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
  }

  @Test
  void incidentDataCarriesTheLabelsOfItsReports() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(incident);
    assertThat(lines).hasSize(40);
    for (String l : lines) {
      JsonNode r = json.readTree(l);
      var report = IncidentDataset.parse(r.get("output").asText()).orElseThrow();
      assertThat(r.get("event_type").asText()).isEqualTo(report.eventType());
      assertThat(r.get("risk_level").asText()).isEqualTo(report.riskLevel());
    }
  }

  /**
   * All layers, a PNG, and a JSON report whose numbers are in range; one layer alone gives exactly
   * that layer's numbers of the all-layers run (same split, same features, deterministic fit).
   */
  @Test
  void everyLayerOnTheIncidentTask() throws Exception {
    Path out = tmp.resolve("all");
    assertThat(Align4j.execute("probe", "--model", model.toString(), "--data", incident.toString(), "--label",
        "event_type", "--layer", "all", "--out", out.toString(), "--device", "cpu")).isZero();
    JsonNode r = new ObjectMapper().readTree(out.resolve("probe.json").toFile());
    assertThat(r.get("layers")).hasSize(3);                          // embeddings + 2 layers
    assertThat(r.get("classes")).hasSize(8);
    assertThat(r.get("train_rows").asInt() + r.get("eval_rows").asInt()).isEqualTo(40);
    assertThat(r.get("eval_rows").asInt()).isEqualTo(10);
    for (JsonNode l : r.get("layers")) {
      assertThat(l.get("converged").asBoolean()).isTrue();
      assertThat(l.get("eval_accuracy").asDouble()).isBetween(0.0, 1.0);
    }
    assertThat(out.resolve("probe_layers.png")).exists();
    Path one = tmp.resolve("one");
    assertThat(Align4j.execute("probe", "--model", model.toString(), "--data", incident.toString(), "--label",
        "event_type", "--layer", "1", "--out", one.toString())).isZero();
    assertThat(new ObjectMapper().readTree(one.resolve("probe.json").toFile()).get("layers").get(0))
        .isEqualTo(r.get("layers").get(1));
  }

  /**
   * Two hand-built references: a label the text determines (the text is "aaaa" or "bbbb") is read
   * perfectly at every layer; a label independent of an identical text leaves every row the same
   * features, so the probe answers the majority class and scores exactly the baseline.
   */
  @Test
  void separableLabelIsPerfectAndNoiseLabelIsTheBaseline() throws Exception {
    Path data = tmp.resolve("ab.jsonl");
    Path eval = tmp.resolve("ab_eval.jsonl");
    StringBuilder train = new StringBuilder();
    StringBuilder held = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      String text = i % 2 == 0 ? "aaaa" : "bbbb";
      String noise = (i * 7 % 5) < 3 ? "x" : "y";                     // 12 x, 8 y in training
      train.append("{\"text\": \"").append(text).append("\", \"kind\": \"").append(text.charAt(0))
          .append("\", \"noise\": \"").append(noise).append("\"}\n");
      if (i < 6) {
        held.append("{\"text\": \"").append(text).append("\", \"kind\": \"").append(text.charAt(0))
            .append("\", \"noise\": \"").append(i < 2 ? "x" : "y").append("\"}\n");   // 2 x, 4 y held out
      }
    }
    Files.writeString(data, train);
    Files.writeString(eval, held);
    Path out = tmp.resolve("ab");
    assertThat(Align4j.execute("probe", "--model", model.toString(), "--data", data.toString(), "--eval",
        eval.toString(), "--label", "kind", "--layer", "all", "--pooling", "last", "--out", out.toString())).isZero();
    for (JsonNode l : new ObjectMapper().readTree(out.resolve("probe.json").toFile()).get("layers")) {
      assertThat(l.get("eval_accuracy").asDouble()).as("layer %s", l.get("layer")).isEqualTo(1.0);
    }
    Path same = tmp.resolve("same.jsonl");
    Files.writeString(same, train.toString().replace("bbbb", "aaaa"));
    Path sameEval = tmp.resolve("same_eval.jsonl");
    Files.writeString(sameEval, held.toString().replace("bbbb", "aaaa"));
    Path out2 = tmp.resolve("noise");
    assertThat(Align4j.execute("probe", "--model", model.toString(), "--data", same.toString(), "--eval",
        sameEval.toString(), "--label", "noise", "--layer", "1", "--out", out2.toString())).isZero();
    JsonNode r = new ObjectMapper().readTree(out2.resolve("probe.json").toFile());
    assertThat(r.get("majority_baseline").asDouble()).isEqualTo(2.0 / 6);   // training majority x
    assertThat(r.get("layers").get(0).get("eval_accuracy").asDouble()).isEqualTo(2.0 / 6);
    assertThat(r.get("layers").get(0).get("train_accuracy").asDouble()).isEqualTo(12.0 / 20);
  }

  /** A conversation is read up to its answer, through the chat template with the generation prompt. */
  @Test
  void conversationsAreReadWithoutTheirAnswer() throws Exception {
    Path f = tmp.resolve("conv.jsonl");
    Files.writeString(f, Files.readAllLines(incident).get(0) + "\n");
    JsonNode rec = new ObjectMapper().readTree(Files.readAllLines(incident).get(0));
    try (Tokenizer tok = Tokenizer.load(model)) {
      List<ProbeExamples.Row> rows = ProbeExamples.read(f, "risk_level", null, tok, 512);
      String user = rec.get("instruction").asText() + "\n" + rec.get("input").asText();
      long[] expected = tok.encode(tok.chatTemplate().orElseThrow().render(List.of(new ChatMessage("user", user)), true), false);
      assertThat(rows.get(0).ids()).containsExactly(expected);
      assertThat(rows.get(0).label()).isEqualTo(rec.get("risk_level").asText());
      assertThat(tok.decode(rows.get(0).ids(), false)).doesNotContain(rec.get("output").asText()).doesNotContain("；风险等级：");
    }
  }

  @Test
  void badInputIsAnErrorNamingTheFileLineAndField() throws Exception {
    Path f = tmp.resolve("bad.jsonl");
    Files.writeString(f, "{\"text\": \"aaaa\", \"kind\": \"a\"}\n{\"text\": \"bbbb\"}\n");
    try (Tokenizer tok = Tokenizer.load(model)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProbeExamples.read(f, "kind", null, tok, 512))
          .hasMessageContaining("bad.jsonl:2").hasMessageContaining("\"kind\"");
    }
    assertThat(Align4j.execute("probe", "--model", model.toString(), "--data", f.toString(), "--label", "kind",
        "--layer", "9")).isNotZero();
    assertThat(ProbeCommand.layers("all", 2)).containsExactly(0, 1, 2);
    assertThat(ProbeCommand.layers("last", 2)).containsExactly(2);
  }
}
