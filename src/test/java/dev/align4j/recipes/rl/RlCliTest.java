package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.TinyIncident;
import dev.align4j.rl.reward.RewardInput;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j grpo|ppo|rloo} end to end on a tiny model with a character tokenizer and the incident
 * task's prompts (alpaca records: the output becomes the judge's reference): adapters written in PEFT
 * format, metrics with the names, plots; bad keys and reward names are errors naming them.
 */
class RlCliTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TinyIncident task = TinyIncident.write(tmp, 12, 5, 2);
    model = task.model();
    data = task.data();
    Path recipe = tmp.resolve("r.yaml");
    Files.writeString(recipe, "model_name_or_path: " + model + "\ndataset: " + data + "\neval_dataset: " + data
        + "\nreward: incident_judge\nmax_completion_length: 8\nprompts_per_rollout: 2\nnum_generations: 2\n"
        + "num_mini_batches: 2\nper_device_train_batch_size: 2\nlearning_rate: 1.0e-2\nmax_steps: 4\nsave_steps: 2\n"
        + "eval_steps: 2\nlora_rank: 4\nlora_alpha: 8\nbeta: 0.04\n");
  }

  static int run(String... args) {
    return Align4j.execute(args);
  }

  @Test
  void grpoPpoAndRlooTrainAndWriteTheirOutputs() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String cmd : List.of("grpo", "ppo", "rloo")) {
      Path out = tmp.resolve("out-" + cmd);
      assertThat(run(cmd, "--config", tmp.resolve("r.yaml").toString(), "output_dir=" + out, "critic_warmup_steps=1"))
          .as(cmd).isZero();
      assertThat(out.resolve("adapter/adapter_model.safetensors")).exists();
      assertThat(out.resolve("adapter/adapter_config.json")).exists();
      assertThat(Files.exists(out.resolve("value_adapter/adapter_model.safetensors"))).isEqualTo(cmd.equals("ppo"));
      assertThat(out.resolve("reward.png")).exists();
      assertThat(out.resolve("kl.png")).exists();
      List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
      List<ObjectNode> steps = new ArrayList<>();
      boolean eval = false;
      for (String l : lines) {
        ObjectNode n = (ObjectNode) json.readTree(l);
        if (n.has("loss")) {
          steps.add(n);
        }
        eval |= n.has("eval/score") && n.has("samples");
      }
      assertThat(steps).as(cmd).hasSize(4);
      assertThat(eval).isTrue();
      ObjectNode last = steps.get(3);
      for (String k : List.of("objective/kl", "objective/entropy", "objective/rlhf_reward", "objective/scores",
          "policy/clipfrac", "policy/approxkl", "loss/policy", "val/ratio", "completions/mean_length",
          "completions/eos_rate")) {
        assertThat(last.has(k)).as(cmd + " " + k).isTrue();
        assertThat(Double.isFinite(last.get(k).asDouble())).as(cmd + " " + k).isTrue();
      }
      assertThat(last.has("loss/value")).isEqualTo(cmd.equals("ppo"));
      // the SFT-style record's output reached the judge: scores are in [0, 1]
      assertThat(last.get("objective/scores").asDouble()).isBetween(0.0, 1.0);
      // a rerun of a finished run has nothing to do and changes nothing
      assertThat(run(cmd, "--config", tmp.resolve("r.yaml").toString(), "output_dir=" + out, "critic_warmup_steps=1")).isZero();
      assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).isEqualTo(lines);
    }
  }

  /**
   * {@code --demo} from an SFT adapter: the policy starts as a copy of the frozen reference (the first
   * rollout's KL is exactly 0), the held-out judge score before and after is printed, and the same seed
   * gives the same numbers.
   */
  @Test
  void demoStartsFromTheSftAdapterAndRepeatsForTheSameSeed() throws Exception {
    Path demo = tmp.resolve("demo");
    Files.createDirectories(demo.resolve("data"));
    Files.copy(data, demo.resolve("data/train.jsonl"));
    Files.copy(data, demo.resolve("data/val.jsonl"));
    Files.createDirectories(demo.resolve("pt"));
    Files.createSymbolicLink(demo.resolve("pt/model"), model);
    assertThat(run("sft", "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + demo.resolve("sft"),
        "max_steps=2", "lora_rank=4", "lora_alpha=8", "learning_rate=5.0e-2")).isZero();
    String[] args = {"grpo", "--demo", "--demo-dir", demo.toString(), "max_steps=2", "max_completion_length=8",
        "prompts_per_rollout=2", "num_generations=2", "per_device_train_batch_size=4", "num_mini_batches=1",
        "eval_steps=0", "save_steps=0"};
    PrintStream out = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true));
    String first;
    String second;
    try {
      assertThat(run(args)).isZero();
      first = buf.toString();
      buf.reset();
      assertThat(run(args)).isZero();
      second = buf.toString();
    } finally {
      System.setOut(out);
    }
    assertThat(first).contains("held-out judge score").contains("KL to the SFT reference");
    // the table (everything but the timing line) is the same for the same seed
    assertThat(second.substring(0, second.indexOf("largest"))).isEqualTo(first.substring(0, first.indexOf("largest")));
    ObjectNode row = (ObjectNode) new ObjectMapper().readTree(Files.readAllLines(tmp.resolve("demo-grpo/metrics.jsonl")).stream()
        .filter(l -> l.contains("\"loss\"")).findFirst().orElseThrow());
    // the policy starts as the frozen reference: the first rollout's KL is 0 up to float32 rounding (one
    // optimizer step per rollout, so its policy log-probs are the update forward's, not the rollout's own)
    assertThat(row.get("objective/kl").asDouble()).isCloseTo(0.0, within(1e-5));
    assertThat(tmp.resolve("demo-grpo/adapter/adapter_model.safetensors")).exists();
  }

  @Test
  void badKeysAndRewardNamesAreErrorsNamingThem() {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      assertThat(run("grpo", "--config", tmp.resolve("r.yaml").toString(), "reward=no_such", "output_dir=" + tmp.resolve("x")))
          .isEqualTo(1);
      assertThat(run("grpo", "--config", tmp.resolve("r.yaml").toString(), "num_generatons=2")).isEqualTo(1);
    } finally {
      System.setErr(err);
    }
    String msg = buf.toString();
    assertThat(msg).contains("no_such").contains("incident_judge").contains("num_generatons");
  }

  /**
   * The recipe reaches TRL 1.13's further loss types (with sequence-level ratios) and gradient
   * accumulation: with {@code gradient_accumulation_steps} a step is {@code per_device_train_batch_size x
   * gradient_accumulation_steps} rows, so a rollout of 4 rows in steps of 1 x 2 is two steps; a step
   * size that does not divide the rollout, or a disagreeing num_mini_batches, is an error naming the keys.
   */
  @Test
  void lossTypesAndGradientAccumulationFromTheRecipe() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String recipe = tmp.resolve("r.yaml").toString();
    Path vespo = tmp.resolve("vespo");
    assertThat(run("grpo", "--config", recipe, "output_dir=" + vespo, "loss_type=vespo", "max_steps=1",
        "eval_steps=0")).isZero();
    ObjectNode row = (ObjectNode) json.readTree(Files.readAllLines(vespo.resolve("metrics.jsonl")).stream()
        .filter(l -> l.contains("\"loss\"")).findFirst().orElseThrow());
    assertThat(row.get("vespo/phi_seq_mean").asDouble()).isPositive();
    assertThat(run("grpo", "--config", recipe, "output_dir=" + tmp.resolve("luspo"), "loss_type=luspo",
        "importance_sampling_level=sequence", "max_steps=1", "eval_steps=0")).isZero();

    Path acc = tmp.resolve("accumulated");
    assertThat(run("grpo", "--config", recipe, "output_dir=" + acc, "per_device_train_batch_size=1",
        "gradient_accumulation_steps=2", "num_mini_batches=1", "max_steps=2", "eval_steps=0")).isZero();
    List<ObjectNode> steps = new ArrayList<>();
    for (String l : Files.readAllLines(acc.resolve("metrics.jsonl"))) {
      if (l.contains("\"loss\"")) {
        steps.add((ObjectNode) json.readTree(l));
      }
    }
    assertThat(steps).hasSize(2);
    // both steps come from the first rollout
    assertThat(steps.get(1).get("rollout").asDouble()).isZero();

    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      assertThat(run("grpo", "--config", recipe, "output_dir=" + tmp.resolve("bad1"), "per_device_train_batch_size=3",
          "gradient_accumulation_steps=2")).isEqualTo(1);
      assertThat(run("grpo", "--config", recipe, "output_dir=" + tmp.resolve("bad2"), "per_device_train_batch_size=1",
          "gradient_accumulation_steps=2", "num_mini_batches=3")).isEqualTo(1);
    } finally {
      System.setErr(err);
    }
    assertThat(buf.toString()).contains("per_device_train_batch_size x gradient_accumulation_steps = 6 rows, which must"
        + " divide the 4 rows of a rollout").contains("num_mini_batches=3 disagrees with gradient_accumulation_steps=2");
  }

  /**
   * {@code gradient_checkpointing: true} is accepted by the RL stages (the objective checkpoints its
   * policy and value forwards itself) and trains as without it, to float32 rounding.
   */
  @Test
  void gradientCheckpointingTrainsAsWithout() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<List<Double>> losses = new ArrayList<>();
    for (boolean on : new boolean[] {false, true}) {
      Path out = tmp.resolve("ppo-checkpointing-" + on);
      assertThat(run("ppo", "--config", tmp.resolve("r.yaml").toString(), "output_dir=" + out, "max_steps=2",
          "eval_steps=0", "gradient_checkpointing=" + on)).as("gradient_checkpointing=" + on).isZero();
      List<Double> l = new ArrayList<>();
      for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
        if (line.contains("\"loss\"")) {
          l.add(json.readTree(line).get("loss").asDouble());
        }
      }
      losses.add(l);
    }
    assertThat(losses.get(1)).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(losses.get(1).get(i)).as("step " + i).isCloseTo(losses.get(0).get(i),
          offset(1e-5 + 1e-4 * Math.abs(losses.get(0).get(i))));
    }
  }

  @Test
  void theJudgeScoresFormatEventTypeAndRiskLevel() {
    IncidentJudge j = new IncidentJudge();
    String gold = "事件类型：暴力破解；风险等级：高；建议：封禁来源IP并重置口令";
    Map<String, Object> extra = Map.of("reference", gold);
    assertThat(j.score(new RewardInput("p", gold, new int[0], extra))).isEqualTo(1.0);
    assertThat(j.score(new RewardInput("p", "事件类型：暴力破解；风险等级：低；建议：x", new int[0], extra))).isEqualTo(2.0 / 3);
    assertThat(j.score(new RewardInput("p", "胡说", new int[0], extra))).isEqualTo(0.0);
    assertThat(j.score(new RewardInput("p", gold, new int[0], Map.of()))).isNull();
  }
}
