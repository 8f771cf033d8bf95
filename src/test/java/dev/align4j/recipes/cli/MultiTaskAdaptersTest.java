package dev.align4j.recipes.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.CliRun;
import dev.align4j.recipes.TinySft;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several task adapters on one base: {@code align4j multitask} trains them one after another on one
 * loaded model, each equal to its own {@code align4j sft} run; {@code generate --input} answers
 * requests under the adapter each names, equal to separate single-adapter runs.
 */
class MultiTaskAdaptersTest {
  @TempDir static Path tmp;
  static Path model;
  static Path multi;
  static Path recipeB;

  @BeforeAll
  static void trainTwoTasks() throws Exception {
    model = tmp.resolve("m");
    String b = "{\"instruction\": \"翻译\", \"input\": \"端口扫描 7 次\", \"output\": \"port scan\"}";
    Path dataA = tmp.resolve("a.jsonl");
    Path dataB = tmp.resolve("b.jsonl");
    Files.writeString(dataA, TinySft.records());
    Files.writeString(dataB, b + "\n" + b.replace("7", "70") + "\n");
    TinySft.model(model, 2, List.of(Files.readString(dataA), Files.readString(dataB)));
    multi = tmp.resolve("multi");
    Path yaml = tmp.resolve("multi.yaml");
    Files.writeString(yaml, "model_name_or_path: " + model + "\noutput_dir: " + multi + "\n"
        + "defaults: {lora_rank: 4, lora_alpha: 8, per_device_train_batch_size: 2, learning_rate: 5.0e-2, max_steps: 3}\n"
        + "tasks:\n  - adapter: alerts\n    dataset: " + dataA + "\n  - adapter: translate\n    dataset: " + dataB
        + "\n    seed: 7\n    lora_target: q_proj,v_proj\n");
    assertThat(Align4j.execute("multitask", "--config", yaml.toString(), "--device", "cpu")).isZero();
    recipeB = tmp.resolve("b.yaml");
    Files.writeString(recipeB, "model_name_or_path: " + model + "\ndataset: " + dataB + "\nlora_rank: 4\nlora_alpha: 8\n"
        + "per_device_train_batch_size: 2\nlearning_rate: 5.0e-2\nmax_steps: 3\nseed: 7\nlora_target: q_proj,v_proj\n");
  }

  /** The second task, trained after the first on the same loaded base, equals its own sft run bit for bit. */
  @Test
  void eachTaskAdapterEqualsItsOwnSftRun() throws Exception {
    Path alone = tmp.resolve("alone");
    assertThat(Align4j.execute("sft", "--config", recipeB.toString(), "output_dir=" + alone)).isZero();
    Path shared = multi.resolve("adapters/translate/adapter_model.safetensors");
    try (SafetensorsFile x = SafetensorsFile.open(shared);
        SafetensorsFile y = SafetensorsFile.open(alone.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(x.tensors().keySet()).isEqualTo(y.tensors().keySet()).isNotEmpty();
      for (String name : x.tensors().keySet()) {
        assertThat(x.toFloatArray(name)).as(name).containsExactly(y.toFloatArray(name));
      }
    }
    assertThat(multi.resolve("adapters/alerts/adapter_config.json")).exists();
    // a rerun loads what is there instead of training again
    byte[] before = Files.readAllBytes(shared);
    assertThat(run("multitask", "--config", tmp.resolve("multi.yaml").toString())).contains("task alerts: already trained")
        .contains("task translate: already trained");
    assertThat(Files.readAllBytes(shared)).isEqualTo(before);
  }

  /** One process, base loaded once, each request under its adapter: the same text as separate runs. */
  @Test
  void requestsSwitchAdaptersAndEqualSeparateRuns() throws Exception {
    Path dirA = multi.resolve("adapters/alerts");
    Path dirB = multi.resolve("adapters/translate");
    String p1 = "分析告警";
    String p2 = "端口扫描";
    Path requests = tmp.resolve("requests.jsonl");
    Files.writeString(requests, String.join("\n",
        "{\"id\": 1, \"prompt\": \"" + p1 + "\", \"adapter\": \"translate\"}",
        "{\"id\": 2, \"prompt\": \"" + p2 + "\", \"adapter\": \"alerts\"}",
        "{\"id\": 3, \"prompt\": \"" + p1 + "\", \"adapter\": null}",
        "{\"id\": 4, \"prompt\": \"" + p2 + "\"}",
        "{\"id\": 5, \"prompt\": \"" + p2 + "\", \"adapter\": \"translate\"}",
        "{\"id\": 6, \"prompt\": \"" + p1 + "\", \"adapter\": \"alerts\"}") + "\n");
    List<String> lines = run("generate", "--model", model.toString(), "--adapter", "alerts=" + dirA, "--adapter",
        "translate=" + dirB, "--input", requests.toString(), "--max-new-tokens", "12").lines().toList();
    assertThat(lines).hasSize(6);
    ObjectMapper json = new ObjectMapper();
    String[][] expect = {
        {p1, dirB.toString()}, {p2, dirA.toString()}, {p1, null}, {p2, dirA.toString()}, {p2, dirB.toString()},
        {p1, dirA.toString()}};
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      JsonNode r = json.readTree(lines.get(i));
      assertThat(r.get("id").asInt()).isEqualTo(i + 1);
      String single = expect[i][1] == null
          ? run("generate", "--model", model.toString(), "--prompt", expect[i][0], "--max-new-tokens", "12")
          : run("generate", "--model", model.toString(), "--adapter", expect[i][1], "--prompt", expect[i][0],
              "--max-new-tokens", "12");
      assertThat(expect[i][0] + r.get("completion").asText()).as("request %d", i + 1).isEqualTo(single.strip());
      distinct.add(expect[i][0] + "|" + r.get("completion").asText());
    }
    assertThat(r(json, lines.get(3)).get("adapter").asText()).isEqualTo("alerts");       // absent: the first
    assertThat(r(json, lines.get(2)).get("adapter").isNull()).isTrue();
    // the adapters change the answers (else the comparison above would prove nothing)
    assertThat(distinct).hasSizeGreaterThan(2);
  }

  @Test
  void anUnknownAdapterIsAnErrorNamingTheLine() throws Exception {
    Path requests = tmp.resolve("bad.jsonl");
    Files.writeString(requests, "{\"prompt\": \"x\"}\n{\"prompt\": \"x\", \"adapter\": \"nope\"}\n");
    CliRun r = CliRun.of("generate", "--model", model.toString(), "--adapter", "alerts=" + multi.resolve("adapters/alerts"),
          "--input", requests.toString(), "--max-new-tokens", "2");
    assertThat(r.rc()).isNotZero();
    assertThat(r.err()).contains("bad.jsonl:2").contains("\"adapter\"");
  }

  private static JsonNode r(ObjectMapper json, String line) throws Exception {
    return json.readTree(line);
  }

  private static String run(String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.rc()).as(String.join(" ", args)).isZero();
    return r.out();
  }
}
