package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.reward.PairAccuracy;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.reward.RewardPair;
import dev.align4j.reward.RewardStats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j rm}, {@code score} and {@code eval-rm} end to end on a tiny Qwen3-shaped checkpoint with
 * the real Qwen3 tokenizer: what they write (a PEFT SEQ_CLS adapter or a transformers
 * sequence-classification checkpoint, reward statistics, metrics) and what they print (scores and
 * accuracy equal to the Java API's on the same files).
 */
class RmCliTest {
  @TempDir static Path tmp;
  static Path model;
  static Path pairs;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void setUp() throws Exception {
    model = tmp.resolve("tiny");
    assertThat(Align4j.execute("tiny", "--family", "qwen3", "--out", model.toString(), "--tokenizer",
        "recipes/assets/tokenizers/qwen3", "--hidden", "16", "--intermediate", "32", "--heads", "2",
        "--kv-heads", "1", "--seed", "7")).isZero();
    pairs = tmp.resolve("pairs.jsonl");
    StringBuilder sb = new StringBuilder();
    String[] good = {"the alert is a brute-force attack", "risk level high", "block the IP", "report format ok"};
    String[] bad = {"no idea", "risk level none whatsoever at all", "ignore it", "???"};
    for (int i = 0; i < 8; i++) {
      sb.append(JSON.writeValueAsString(java.util.Map.of("prompt", "Alert " + i + ": ", "chosen", good[i % 4],
          "rejected", bad[(i + 1) % 4], "kind", i % 2 == 0 ? "event" : "risk"))).append('\n');
    }
    // an implicit prompt (the common prefix) and a margin
    sb.append("{\"chosen\": \"Q: status? A: all good\", \"rejected\": \"Q: status? A: broken\", \"margin\": 0.5}\n");
    // an identical pair: counted and dropped, never silently
    sb.append("{\"prompt\": \"x\", \"chosen\": \"same\", \"rejected\": \"same\"}\n");
    Files.writeString(pairs, sb.toString());
  }

  static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute(args)).as(String.join(" ", args)).isZero();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  static Path recipe(String name, String... lines) throws Exception {
    Path r = tmp.resolve(name + ".yaml");
    List<String> all = new ArrayList<>(List.of("model_name_or_path: " + model, "dataset: " + pairs,
        "eval_dataset: " + pairs, "per_device_train_batch_size: 4", "learning_rate: 1.0e-2", "max_steps: 3",
        "eval_steps: 1", "output_dir: " + tmp.resolve(name), "seed: 3"));
    all.addAll(List.of(lines));
    Files.writeString(r, String.join("\n", all) + "\n");
    return r;
  }

  static List<RewardPair> evalPairs(Tokenizer tok) throws Exception {
    Prepared<RewardEncoding> p = RewardData.prepare(pairs, PreferenceParser.auto(), PreferenceTokenizer.of(tok),
        PreferenceOptions.drop(1024));
    assertThat(p.report().read()).isEqualTo(10);
    assertThat(p.examples()).hasSize(9);   // the identical pair is dropped and counted
    return RewardData.pairs(p);
  }

  @Test
  void loraRewardModelIsAPeftSeqClsAdapterAndScoresAsTheApiDoes() throws Exception {
    String out = run("rm", "--config", recipe("lora", "finetuning_type: lora", "lora_rank: 4",
        "metric_for_best_model: accuracy", "early_stopping_patience: 5").toString());
    assertThat(out).contains("eval accuracy");
    Path dir = tmp.resolve("lora");
    JsonNode cfg = JSON.readTree(dir.resolve("adapter/adapter_config.json").toFile());
    assertThat(cfg.get("task_type").asText()).isEqualTo("SEQ_CLS");
    assertThat(cfg.get("modules_to_save").toString()).contains("score");
    assertThat(Files.exists(dir.resolve("best/best_step.txt"))).isTrue();
    List<JsonNode> rows = Files.readAllLines(dir.resolve("metrics.jsonl")).stream().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
    assertThat(rows.stream().filter(r -> r.has("loss")).count()).isEqualTo(3);
    assertThat(rows.get(0).has("accuracy") && rows.get(0).has("margin") && rows.get(0).has("chosen_reward")
        && rows.get(0).has("pairs")).isTrue();
    assertThat(rows.stream().filter(r -> r.has("eval_accuracy")).count()).isEqualTo(3);

    Path in = tmp.resolve("score.jsonl");
    Files.writeString(in, "{\"text\": \"risk level high\"}\n{\"prompt\": \"Alert 1: \", \"completion\": \"block the IP\"}\n"
        + "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n");
    List<String> lines = run("score", "--model", model.toString(), "--adapter", dir.resolve("adapter").toString(),
        "--input", in.toString(), "--batch-size", "2").lines().toList();
    assertThat(lines).hasSize(3);
    JsonNode pairAcc = JSON.readTree(run("eval-rm", "--model", model.toString(), "--adapter",
        dir.resolve("adapter").toString(), "--data", pairs.toString(), "--group-by", "kind").strip());
    try (NDManager m = Torch.newManager();
        RewardModel rm = RewardModel.load(model, dir.resolve("adapter"), Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(model)) {
      PreferenceTokenizer pt = PreferenceTokenizer.of(tok);
      double[] want = rm.score(List.of(
          pt.full(new dev.align4j.peft.data.preference.Segment.Text(""), new dev.align4j.peft.data.preference.Segment.Text("risk level high")),
          pt.full(new dev.align4j.peft.data.preference.Segment.Text("Alert 1: "), new dev.align4j.peft.data.preference.Segment.Text("block the IP"))), 1);
      assertThat(JSON.readTree(lines.get(0)).get("score").asDouble()).isCloseTo(want[0], Offset.offset(1e-5));
      assertThat(JSON.readTree(lines.get(1)).get("score").asDouble()).isCloseTo(want[1], Offset.offset(1e-5));
      // the stored statistics are those of the eval pairs under the final weights
      List<RewardPair> eval = evalPairs(tok);
      RewardStats stats = rm.stats(eval, 4);
      assertThat(rm.storedStats()).hasValueSatisfying(s -> {
        assertThat(s.mean()).isCloseTo(stats.mean(), Offset.offset(1e-5));
        assertThat(s.std()).isCloseTo(stats.std(), Offset.offset(1e-5));
      });
      assertThat(JSON.readTree(lines.get(0)).get("normalized_score").asDouble())
          .isCloseTo(stats.normalize(want[0]), Offset.offset(1e-4));
      Prepared<RewardEncoding> p = RewardData.prepare(pairs, PreferenceParser.auto(), pt, PreferenceOptions.drop(1024));
      PairAccuracy a = PairAccuracy.of(rm, p.examples(), "kind", 3);
      assertThat(pairAcc.get("pairs").asLong()).isEqualTo(9);
      assertThat(pairAcc.get("accuracy").asDouble()).isEqualTo(a.accuracy());
      assertThat(pairAcc.get("groups").get("event").get("pairs").asLong()).isEqualTo(4);
      assertThat(pairAcc.get("groups").get("(none)").get("pairs").asLong()).isEqualTo(1);
      assertThat(a.groups().get("event").pairs() + a.groups().get("risk").pairs()).isEqualTo(8);
    }
  }

  @Test
  void fullRewardModelIsASequenceClassificationCheckpoint() throws Exception {
    run("rm", "--config", recipe("full", "finetuning_type: full", "gradient_accumulation_steps: 2",
        "per_device_train_batch_size: 2").toString());
    Path dir = tmp.resolve("full/model");
    JsonNode cfg = JSON.readTree(dir.resolve("config.json").toFile());
    assertThat(cfg.get("architectures").get(0).asText()).isEqualTo("Qwen3ForSequenceClassification");
    assertThat(cfg.get("id2label").size()).isEqualTo(1);
    assertThat(cfg.get("pad_token_id").isIntegralNumber()).isTrue();
    assertThat(cfg.get("mean").isNumber() && cfg.get("std").isNumber()).isTrue();
    assertThat(Files.exists(dir.resolve("tokenizer.json"))).isTrue();
    try (NDManager m = Torch.newManager();
        RewardModel rm = RewardModel.load(dir, null, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThat(rm.padId()).isEqualTo(cfg.get("pad_token_id").asLong());
      assertThat(rm.storedStats()).isPresent();
    }
    Path in = tmp.resolve("bad-score.jsonl");
    Files.writeString(in, "{\"text\": \"ok\"}\n{\"nothing\": 1}\n");
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute("score", "--model", dir.toString(), "--input", in.toString())).isEqualTo(1);
    } finally {
      System.setErr(old);
    }
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("bad-score.jsonl:2: expected a field text");
  }

  @Test
  void badInputNamesTheFileLineAndField() throws Exception {
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": 3, \"rejected\": \"c\"}\n");
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute("rm", "model_name_or_path=" + model, "dataset=" + bad, "output_dir=" + tmp.resolve("bad")))
          .isEqualTo(1);
      assertThat(Align4j.execute("rm", "model_name_or_path=" + model, "dataset=" + pairs, "finetuning_type=ia3"))
          .isEqualTo(1);
    } finally {
      System.setErr(old);
    }
    String err = buf.toString(StandardCharsets.UTF_8);
    assertThat(err).contains(bad + ":2").contains("chosen");
    assertThat(err).contains("finetuning_type ia3 cannot train a reward model");
  }
}
