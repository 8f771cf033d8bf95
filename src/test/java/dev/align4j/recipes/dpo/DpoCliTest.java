package dev.align4j.recipes.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.recipes.Align4j;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j dpo|orpo|simpo} end to end on a tiny Qwen3-shaped checkpoint with the real Qwen3
 * tokenizer and its chat template: chat pairs, held-out evaluation, the reference log-prob cache
 * reused by a second run and refused after the reference changes, resume, and the reference-free stages.
 */
class DpoCliTest {
  @TempDir static Path tmp;
  static Path model;
  static Path pairs;

  @BeforeAll
  static void makeModel() throws IOException {
    model = tmp.resolve("tiny");
    assertThat(Align4j.execute("tiny", "--family", "qwen3", "--out", model.toString(), "--tokenizer",
        "recipes/assets/tokenizers/qwen3", "--hidden", "16", "--intermediate", "32", "--heads", "2",
        "--kv-heads", "1", "--seed", "7")).isZero();
    pairs = tmp.resolve("pairs.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      lines.add("{\"prompt\": [{\"role\": \"user\", \"content\": \"告警 " + i + "：主机多次登录失败\"}], "
          + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"事件类型：暴力破解；风险等级：高\"}], "
          + "\"rejected\": [{\"role\": \"assistant\", \"content\": \"事件类型：恶意软件" + "；".repeat(i % 3) + "\"}]}");
    }
    Files.write(pairs, lines);
  }

  /** Runs the CLI; returns {exit code, stdout, stderr}. */
  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = Align4j.execute(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new String[] {Integer.toString(rc), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
  }

  private static List<JsonNode> metrics(Path out) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      rows.add(new ObjectMapper().readTree(l));
    }
    return rows;
  }

  private static String[] dpo(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("dpo", "--config", "recipes/dpo_tiny_test.yaml",
        "model_name_or_path=" + model, "dataset=" + pairs, "eval_dataset=" + pairs, "output_dir=" + out,
        "ref_logps_cache_dir=" + tmp.resolve("cache")));
    a.addAll(List.of(extra));
    return run(a.toArray(String[]::new));
  }

  @Test
  void trainsWithTrlMetricsEvaluatesCachesTheReferenceAndResumes() throws IOException {
    Path out = tmp.resolve("run1");
    String[] r = dpo(out);
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[2]).contains("reference: the base model (adapters off)").contains("reference log-probs: computed for 4 pairs");
    List<JsonNode> rows = metrics(out);
    JsonNode step1 = rows.get(0);
    for (String k : List.of("loss", "grad_norm", "pairs", "rewards/chosen", "rewards/margins", "rewards/accuracies",
        "logps/chosen", "logps/rejected", "logits/chosen", "entropy", "mean_token_accuracy")) {
      assertThat(step1.has(k)).as(k).isTrue();
    }
    assertThat(step1.get("loss").asDouble()).isCloseTo(Math.log(2), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(rows.stream().anyMatch(n -> n.has("eval_rewards/margins"))).isTrue();
    assertThat(out.resolve("adapter/adapter_model.safetensors")).exists();
    assertThat(out.resolve("rewards.png")).exists();
    assertThat(out.resolve("loss.png")).exists();
    // a second run with the same data and reference reads the cache
    String[] again = dpo(tmp.resolve("run2"), "max_steps=1", "eval_dataset=");
    assertThat(again[0]).as(again[2]).isEqualTo("0");
    assertThat(again[2]).contains("reference log-probs: reused");
    // another reference (other weights, same data and cache directory) is computed afresh, never reused
    Path other = tmp.resolve("tiny_other");
    assertThat(Align4j.execute("tiny", "--family", "qwen3", "--out", other.toString(), "--tokenizer",
        "recipes/assets/tokenizers/qwen3", "--hidden", "16", "--intermediate", "32", "--heads", "2",
        "--kv-heads", "1", "--seed", "8")).isZero();
    String[] changed = dpo(tmp.resolve("run3"), "model_name_or_path=" + other, "max_steps=1", "eval_dataset=");
    assertThat(changed[0]).as(changed[2]).isEqualTo("0");
    assertThat(changed[2]).contains("reference log-probs: computed").doesNotContain("reused");
    // the same run resumed to more steps continues from its checkpoint
    String[] more = dpo(out, "max_steps=3");
    assertThat(more[0]).as(more[2]).isEqualTo("0");
    assertThat(metrics(out).stream().filter(n -> n.has("loss")).map(n -> n.get("step").asInt()).toList())
        .containsExactly(1, 2, 3);
  }

  @Test
  void orpoAndSimpoTrainWithoutAReference() throws IOException {
    for (String stage : List.of("orpo", "simpo")) {
      Path out = tmp.resolve(stage);
      String[] r = run(stage, "--config", "recipes/dpo_tiny_test.yaml", "model_name_or_path=" + model,
          "dataset=" + pairs, "output_dir=" + out, "precompute_ref_log_probs=false", "max_steps=1");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[2]).contains("reference: none (reference-free)");
      JsonNode step = metrics(out).get(0);
      assertThat(step.has("nll_loss")).isTrue();
      assertThat(step.has("rewards/margins")).isTrue();
    }
  }

  @Test
  void ktoTrainsOnPairsUnpairedAsTrlWithTheKlTerm() throws IOException {
    Path out = tmp.resolve("kto");
    String[] r = run("kto", "--config", "recipes/dpo_tiny_test.yaml", "model_name_or_path=" + model,
        "dataset=" + pairs, "output_dir=" + out, "ref_logps_cache_dir=" + tmp.resolve("cache"), "max_steps=1");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[2]).contains("8 examples read").contains("reference log-probs: computed for 8 examples");
    JsonNode step = metrics(out).get(0);
    assertThat(step.get("examples").asInt()).isEqualTo(2);
    assertThat(step.has("kl")).isTrue();
    assertThat(step.get("loss").asDouble()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void badKeysAndLossTypesAreNamed() {
    String[] r = dpo(tmp.resolve("bad"), "pref_loss=sigmoidd");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).contains("sigmoidd");
    String[] k = run("dpo", "--keys");
    assertThat(k[1]).contains("| `pref_beta` |").contains("| `precompute_ref_log_probs` |");
  }
}
