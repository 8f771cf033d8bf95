package dev.align4j.recipes.rm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.CliRun;
import dev.align4j.recipes.TinySft;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j score} with several adapters on one base: two reward adapters and one causal-LM
 * adapter loaded once, each request scored under the adapter it names, equal to a separate run with
 * only that adapter loaded (and the log-probabilities to {@code align4j logprobs}' per-token values).
 */
class ScoreAdaptersTest {
  @TempDir static Path tmp;
  static Path model;
  static Path rmA;
  static Path rmB;
  static Path lm;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void trainAdapters() throws Exception {
    model = tmp.resolve("m");
    Path pairs = tmp.resolve("pairs.jsonl");
    StringBuilder sb = new StringBuilder();
    String[] good = {"暴力破解；高", "端口扫描；中", "恶意软件；严重", "正常；低"};
    String[] bad = {"不知道", "端口；无", "忽略", "？？？"};
    for (int i = 0; i < 8; i++) {
      sb.append(JSON.writeValueAsString(Map.of("prompt", "告警" + i + "：", "chosen", good[i % 4],
          "rejected", bad[(i + 1) % 4]))).append('\n');
    }
    Files.writeString(pairs, sb.toString());
    Path sft = tmp.resolve("sft.jsonl");
    Files.writeString(sft, TinySft.records());
    TinySft.model(model, 2, List.of(sb.toString(), Files.readString(sft), "abc"));
    String common = "model_name_or_path: " + model + "\nper_device_train_batch_size: 4\nmax_steps: 3\n"
        + "finetuning_type: lora\nlora_rank: 4\nlora_alpha: 8\n";
    rmA = train("rm", "rmA", common + "dataset: " + pairs + "\nlearning_rate: 5.0e-2\nseed: 3\n");
    rmB = train("rm", "rmB", common + "dataset: " + pairs + "\nlearning_rate: 2.0e-2\nseed: 5\nlora_target: q_proj,v_proj\n");
    lm = train("sft", "lm", common + "dataset: " + sft + "\nlearning_rate: 5.0e-2\nseed: 7\n");
  }

  private static Path train(String command, String name, String recipe) throws Exception {
    Path yaml = tmp.resolve(name + ".yaml");
    Files.writeString(yaml, recipe + "output_dir: " + tmp.resolve(name) + "\n");
    assertThat(Align4j.execute(command, "--config", yaml.toString(), "--device", "cpu")).isZero();
    return tmp.resolve(name).resolve("adapter");
  }

  /** Every request equals the score a run with only its adapter (or none) gives. */
  @Test
  void eachRequestEqualsASeparateSingleAdapterRun() throws Exception {
    String[] texts = {
        "{\"prompt\": \"告警1：\", \"completion\": \"暴力破解；高\"",
        "{\"prompt\": \"告警2：\", \"completion\": \"不知道\"",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"分析告警\"}, {\"role\": \"assistant\", \"content\": \"正常；低\"}]",
        "{\"text\": \"端口扫描；中\""};
    String[] adapters = {"\"ra\"", "\"rb\"", "\"lm\"", "null", null};
    StringBuilder req = new StringBuilder();
    Path[] singleIn = new Path[texts.length];
    for (int t = 0; t < texts.length; t++) {
      singleIn[t] = tmp.resolve("single" + t + ".jsonl");
      Files.writeString(singleIn[t], texts[t] + "}\n");
      for (String ad : adapters) {
        req.append(texts[t]).append(ad == null ? "" : ", \"adapter\": " + ad).append("}\n");
      }
    }
    Path in = tmp.resolve("requests.jsonl");
    Files.writeString(in, req.toString());
    List<String> lines = run("score", "--model", model.toString(), "--adapter", "ra=" + rmA, "--adapter", "rb=" + rmB,
        "--adapter", "lm=" + lm, "--input", in.toString(), "--batch-size", "1").lines().toList();
    assertThat(lines).hasSize(texts.length * adapters.length);
    List<String> batched = run("score", "--model", model.toString(), "--adapter", "ra=" + rmA, "--adapter", "rb=" + rmB,
        "--adapter", "lm=" + lm, "--input", in.toString()).lines().toList();
    for (int t = 0; t < texts.length; t++) {
      double ra = score(lines, t * 5);
      double rb = score(lines, t * 5 + 1);
      double lp = score(lines, t * 5 + 2);
      double base = score(lines, t * 5 + 3);
      assertThat(ra).as("text %d under ra", t).isEqualTo(single(rmA, singleIn[t]).get("score").asDouble());
      assertThat(rb).as("text %d under rb", t).isEqualTo(single(rmB, singleIn[t]).get("score").asDouble());
      JsonNode lpAlone = single(lm, singleIn[t]);
      assertThat(lp).as("text %d under lm", t).isEqualTo(lpAlone.get("score").asDouble());
      assertThat(JSON.readTree(lines.get(t * 5 + 2)).get("tokens").asInt()).isEqualTo(lpAlone.get("tokens").asInt());
      // the log-probability is the sum of `align4j logprobs`' per-token values over the completion
      int n = lpAlone.get("tokens").asInt();
      assertThat(lp).isCloseTo(tailSum(logprobs(lm, texts[t]), n), Offset.offset(1e-9));
      assertThat(base).isCloseTo(tailSum(logprobs(null, texts[t]), n), Offset.offset(1e-9));
      // absent: the first adapter; every row says which adapter scored it
      assertThat(score(lines, t * 5 + 4)).isEqualTo(ra);
      assertThat(JSON.readTree(lines.get(t * 5 + 4)).get("adapter").asText()).isEqualTo("ra");
      assertThat(JSON.readTree(lines.get(t * 5 + 3)).get("adapter").isNull()).isTrue();
      // the adapters differ, else the equalities above would prove nothing
      assertThat(ra).isNotEqualTo(rb);
      assertThat(lp).isNotEqualTo(base);
      for (int k = 0; k < 5; k++) {
        assertThat(score(batched, t * 5 + k)).isCloseTo(score(lines, t * 5 + k), Offset.offset(1e-5));
      }
    }
    // the prompt is context, not scored: prompt + completion sums fewer tokens than the whole text
    assertThat(JSON.readTree(lines.get(2)).get("tokens").asInt()).isLessThan(
        JSON.readTree(run("logprobs", "--model", model.toString(), "--input", textOnly(texts[0]).toString()))
            .get("token_logprobs").size() - 1);
  }

  @Test
  void anUnknownAdapterIsAnErrorNamingTheLine() throws Exception {
    Path in = tmp.resolve("bad.jsonl");
    Files.writeString(in, "{\"text\": \"x\"}\n{\"text\": \"x\", \"adapter\": \"nope\"}\n");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--adapter", "ra=" + rmA, "--input", in.toString());
    assertThat(r.rc()).isNotZero();
    assertThat(r.err()).contains("bad.jsonl:2").contains("\"adapter\"").contains("[ra]");
  }

  private static double score(List<String> lines, int i) throws Exception {
    return JSON.readTree(lines.get(i)).get("score").asDouble();
  }

  private static JsonNode single(Path adapter, Path in) throws Exception {
    return JSON.readTree(run("score", "--model", model.toString(), "--adapter", adapter.toString(), "--input",
        in.toString(), "--batch-size", "1").strip());
  }

  /** `align4j logprobs` on the request's whole token sequence, as score tokenises it. */
  private static JsonNode logprobs(Path adapter, String text) throws Exception {
    Path ids = tmp.resolve("ids.jsonl");
    Files.writeString(ids, JSON.writeValueAsString(Map.of("ids", idsOf(text))) + "\n");
    return adapter == null
        ? JSON.readTree(run("logprobs", "--model", model.toString(), "--input", ids.toString()).strip())
        : JSON.readTree(run("logprobs", "--model", model.toString(), "--adapter", adapter.toString(), "--input",
            ids.toString()).strip());
  }

  /** The token ids score uses for a request (its reward run with {@code "ids"} echoes nothing, so encode here). */
  private static long[] idsOf(String text) throws Exception {
    try (Tokenizer tok = Tokenizer.load(model)) {
      Path f = tmp.resolve("one.jsonl");
      Files.writeString(f, text + "}\n");
      return ScoreInput.encode(JsonRecords.readAll(f).get(0),
          PreferenceTokenizer.of(tok), 1 << 20).ids();
    }
  }

  private static Path textOnly(String text) throws Exception {
    Path f = tmp.resolve("whole.jsonl");
    Files.writeString(f, JSON.writeValueAsString(Map.of("ids", idsOf(text))) + "\n");
    return f;
  }

  private static double tailSum(JsonNode lp, int n) {
    JsonNode a = lp.get("token_logprobs");
    double sum = 0;
    for (int i = a.size() - n; i < a.size(); i++) {
      sum += a.get(i).asDouble();
    }
    return sum;
  }

  private static String run(String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.rc()).as(String.join(" ", args)).isZero();
    return r.out();
  }

}
