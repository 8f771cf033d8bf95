package dev.align4j.recipes.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.sft.demo.IncidentDataset;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DataCommandTest {
  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = new CommandLine(new DataCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private static List<String> texts(Path f) throws Exception {
    return JsonRecords.readAll(f).stream().map(r -> r.value().toString()).collect(Collectors.toList());
  }

  @Test
  void validateReportsProblemsAndExitCode() throws Exception {
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}\n"
        + "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"robot\",\"value\":\"a\"}]}\n"
        + "{\"conversations\":[{\"from\":\"human\",\"value\":\"" + "x".repeat(50) + "\"},{\"from\":\"gpt\",\"value\":\"a\"}]}\n");
    assertThat(run("validate", "--max-chars", "40", bad.toString())).isEqualTo(1);
    assertThat(out.toString()).contains(bad + ":2: conversations[1].from: unknown role 'robot'\n")
        .contains(bad + ":3: example too long: 51 characters > max 40\n")
        .contains("3 record(s), format sharegpt, 2 problem(s)");
    Path good = dir.resolve("good.jsonl");
    JsonlWriter.writeAll(good, IncidentDataset.generate(30, 1));
    assertThat(run("validate", "--format", "alpaca", good.toString())).isEqualTo(0);
    assertThat(run("validate", "--format", "csv", good.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("unknown data format 'csv'");
  }

  @Test
  void singleInputCommandsTakeInOrInputAndNameAMissingOne() throws Exception {
    Path in = dir.resolve("in.jsonl");
    JsonlWriter.writeAll(in, IncidentDataset.generate(10, 1));
    Path positional = dir.resolve("a.jsonl");
    Path option = dir.resolve("b.jsonl");
    assertThat(run("clean", in.toString(), "-o", positional.toString())).isEqualTo(0);
    assertThat(run("clean", "--input", in.toString(), "-o", option.toString())).isEqualTo(0);
    assertThat(texts(option)).isEqualTo(texts(positional)).hasSize(10);
    for (String[] args : List.of(new String[] {"clean", "-o", "x.jsonl"}, new String[] {"dedup", "-o", "x.jsonl"},
        new String[] {"split", "--train", "t.jsonl", "--val", "v.jsonl"})) {
      assertThat(run(args)).as(args[0]).isEqualTo(1);
    }
    assertThat(err.toString().lines().filter(l -> l.equals("error: no input file: give it as IN or --input"))).hasSize(3);
  }

  @Test
  void validateWithDatasetInfo() throws Exception {
    Path info = dir.resolve("dataset_info.json");
    Files.writeString(info, "{\"mine\":{\"formatting\":\"sharegpt\",\"columns\":{\"messages\":\"chat\"},"
        + "\"tags\":{\"role_tag\":\"r\",\"content_tag\":\"c\",\"user_tag\":\"u\",\"assistant_tag\":\"b\"}}}");
    Path f = dir.resolve("mine.jsonl");
    Files.writeString(f, "{\"chat\":[{\"r\":\"u\",\"c\":\"hi\"},{\"r\":\"b\",\"c\":\"yo\"}]}\n{\"chat\":[{\"r\":\"b\",\"c\":\"yo\"}]}\n");
    assertThat(run("validate", "--dataset-info", info.toString(), "--dataset", "mine", f.toString())).isEqualTo(1);
    assertThat(out.toString()).contains(f + ":2: chat[0].r: turns not alternating").doesNotContain(f + ":1:");
  }

  @Test
  void cleanWritesScrubbedCopyAndNeverTouchesTheInput() throws Exception {
    Path in = dir.resolve("in.jsonl");
    String original = "{\"instruction\":\"i\",\"input\":\"王小明 手机13812345678 邮箱wxm@example.com\",\"output\":\"o\"}\n";
    Files.writeString(in, original);
    Path cleaned = dir.resolve("out/clean.jsonl");
    assertThat(run("clean", in.toString(), "-o", cleaned.toString(), "--name", "王小明")).isEqualTo(0);
    JsonNode r = JsonRecords.readAll(cleaned).get(0).value();
    assertThat(r.get("input").asText()).isEqualTo("[NAME] 手机[PHONE] 邮箱[EMAIL]");
    assertThat(out.toString()).contains("3 replacement(s)").contains("PHONE 1 [138****5678]");
    assertThat(run("clean", in.toString(), "-o", dir.resolve("./out/../in.jsonl").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("refusing to overwrite the input");
    assertThat(Files.readString(in)).isEqualTo(original);
  }

  @Test
  void dedupKeepsFirstOccurrencesAndReportsClusters() throws Exception {
    Path in = dir.resolve("d.jsonl");
    String base = "2026-03-14 02:13 主机 web-03 检测到来自 45.13.x.x 的 SSH 登录失败 327 次，请立即核查";
    Files.writeString(in, String.join("\n",
        "{\"text\":\"" + base + "\"}",
        "{\"text\":\"完全不同的一条：DLP 发现 crm-09 外发客户信息 58 条\"}",
        "{\"text\":\"" + base.replace("，", ",") + "!\"}",          // exact after normalisation
        "{\"text\":\"" + base + "，已告警\"}",                        // near
        "{\"text\":\"完全不同的一条：DLP 发现 crm-09 外发客户信息 58 条\"}") + "\n");
    Path o = dir.resolve("dd.jsonl");
    Path report = dir.resolve("clusters.json");
    assertThat(run("dedup", in.toString(), "-o", o.toString(), "--report", report.toString())).isEqualTo(0);
    assertThat(JsonRecords.readAll(o)).extracting(SourceRecord::line).containsExactly(1L, 2L);
    assertThat(texts(o)).containsExactly(texts(in).get(0), texts(in).get(1));
    JsonNode clusters = new ObjectMapper().readTree(report.toFile());
    assertThat(clusters.size()).isEqualTo(2);
    assertThat(clusters.get(0).get("kept_line").asLong()).isEqualTo(1);
    assertThat(clusters.get(0).get("dropped").findValuesAsText("kind")).containsExactly("exact", "near");
    assertThat(clusters.get(0).get("dropped").findValues("line")).extracting(JsonNode::asLong).containsExactly(3L, 4L);
    assertThat(clusters.get(1).get("kept_line").asLong()).isEqualTo(2);
    assertThat(out.toString()).contains("kept 2, dropped 3 in 2 cluster(s)").contains("line 1 <- 3 (exact), 4 (0.");
    // a stricter threshold keeps the near duplicate
    assertThat(run("dedup", in.toString(), "-o", o.toString(), "--threshold", "0.99")).isEqualTo(0);
    assertThat(JsonRecords.readAll(o)).extracting(SourceRecord::line).containsExactly(1L, 2L, 3L);
  }

  @Test
  void splitIsDeterministicDisjointAndComplete() throws Exception {
    Path in = dir.resolve("all.json");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      lines.add("{\"text\":\"t" + i + "\"}");
    }
    Files.writeString(in, "[\n" + String.join(",\n", lines) + "\n]\n"); // JSON array input
    Path t1 = dir.resolve("a/train.jsonl");
    Path v1 = dir.resolve("a/val.jsonl");
    Path t2 = dir.resolve("b/train.jsonl");
    Path v2 = dir.resolve("b/val.jsonl");
    assertThat(run("split", in.toString(), "--train", t1.toString(), "--val", v1.toString(), "--val-ratio", "0.15", "--seed", "3")).isEqualTo(0);
    assertThat(run("split", in.toString(), "--train", t2.toString(), "--val", v2.toString(), "--val-ratio", "0.15", "--seed", "3")).isEqualTo(0);
    assertThat(Files.readString(t1)).isEqualTo(Files.readString(t2));
    assertThat(Files.readString(v1)).isEqualTo(Files.readString(v2));
    List<String> train = texts(t1);
    List<String> val = texts(v1);
    assertThat(val).hasSize(30);
    assertThat(train).hasSize(170);
    Set<String> both = new HashSet<>(train);
    both.retainAll(val);
    assertThat(both).isEmpty();
    Set<String> union = new HashSet<>(train);
    union.addAll(val);
    assertThat(union).isEqualTo(new HashSet<>(texts(in)));
    // order inside each side follows the input
    assertThat(train).isSortedAccordingTo((a, b) -> Integer.compare(num(a), num(b)));
    // another seed, another split; --val-size
    assertThat(run("split", in.toString(), "--train", t2.toString(), "--val", v2.toString(), "--val-size", "30", "--seed", "4")).isEqualTo(0);
    assertThat(texts(v2)).hasSize(30).isNotEqualTo(val);
    assertThat(run("split", in.toString(), "--train", t2.toString(), "--val", v2.toString(), "--val-size", "3", "--val-ratio", "0.1")).isEqualTo(1);
    assertThat(run("split", in.toString(), "--train", in.toString(), "--val", v2.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("refusing to overwrite the input");
  }

  private static int num(String json) {
    return Integer.parseInt(json.replaceAll("\\D", ""));
  }
}
