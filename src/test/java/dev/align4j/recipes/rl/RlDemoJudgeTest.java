package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.TinyIncident;
import dev.align4j.recipes.demo.IncidentEval;
import dev.align4j.recipes.eval.EvalConfig;
import dev.align4j.recipes.eval.EvalSession;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j ppo --demo} rewarded by a reward model: the row "held-out judge score" is the judge's
 * score of the greedy held-out reports ({@link IncidentEval} on the same adapters), not the reward
 * model's {@code eval/score}, which is printed under its own label.
 */
class RlDemoJudgeTest {
  @TempDir Path tmp;

  @Test
  void thePpoDemosJudgeRowIsTheJudgeOfTheGreedyReportsNotTheRewardModels() throws Exception {
    Path demo = tmp.resolve("demo");
    Path model = tmp.resolve("m");
    Path data = Files.createDirectories(demo.resolve("data"));
    List<ObjectNode> recs = IncidentDataset.generate(12, 5);
    JsonlWriter.writeAll(data.resolve("train.jsonl"), recs);
    JsonlWriter.writeAll(data.resolve("val.jsonl"), recs);
    List<IncidentPreferences.Pair> pairs = IncidentPreferences.generate(16, 9);
    Path pairFile = tmp.resolve("pairs.jsonl");
    IncidentPreferences.writeJsonl(pairFile, pairs);
    List<String> corpus = new ArrayList<>(List.of(IncidentDataset.INSTRUCTION));
    recs.forEach(r -> corpus.add(r.get("input").asText() + r.get("output").asText()));
    pairs.forEach(p -> corpus.add(p.user() + p.chosen() + p.rejected()));
    int vocab = CharTokenizer.write(model, corpus);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN2, vocab, 32, 64, 2, 4, 2, 8, 1e-6, 1e4, null, 512,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
    Files.createDirectories(demo.resolve("pt"));
    Files.createSymbolicLink(demo.resolve("pt/model"), model);
    // an SFT policy that has learnt the format on these very alerts (so that the judge has something to
    // score), and a reward model on the same base
    assertThat(Align4j.execute("sft", "model_name_or_path=" + model, "dataset=" + data.resolve("train.jsonl"),
        "output_dir=" + demo.resolve("sft"), "max_steps=120", "lora_rank=16", "lora_alpha=32", "learning_rate=2.0e-2", "lr_scheduler_type=constant",
        "per_device_train_batch_size=12", "--device", "cpu")).isZero();
    assertThat(Align4j.execute("rm", "model_name_or_path=" + model, "dataset=" + pairFile, "output_dir="
        + demo.resolve("rm"), "max_steps=2", "lora_rank=4", "lora_alpha=8", "per_device_train_batch_size=8",
        "--device", "cpu")).isZero();

    int maxNew = 40;
    String[] args = {"ppo", "--demo", "--demo-dir", demo.toString(), "--device", "cpu", "max_steps=2",
        "max_completion_length=" + maxNew, "prompts_per_rollout=4", "per_device_train_batch_size=4",
        "num_mini_batches=1", "num_iterations=1", "eval_steps=0", "save_steps=0",
        // a chosen output_dir is where the run writes and the judge reads (it used to judge <demo-dir>-ppo: missing);
        // the policy also trains a copy of the final norm (PEFT modules_to_save), loaded with it by the evaluator
        "output_dir=" + tmp.resolve("own-ppo"), "additional_target=model.norm", "additional_target_learning_rate=0.05"};
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute(args)).isZero();
    } finally {
      System.setOut(old);
    }
    String printed = buf.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    Path run = tmp.resolve("own-ppo");
    assertThat(tmp.resolve("demo-ppo")).doesNotExist();
    JsonNode policyConfig = new ObjectMapper().readTree(run.resolve("adapter/adapter_config.json").toFile());
    assertThat(policyConfig.get("modules_to_save").toString()).isEqualTo("[\"model.norm\"]");
    try (SafetensorsFile trained = SafetensorsFile.open(run.resolve("adapter/adapter_model.safetensors"));
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"))) {
      assertThat(trained.toFloatArray("base_model.model.model.norm.weight")).as("the norm copy trained")
          .isNotEqualTo(base.toFloatArray("model.norm.weight"));
    }
    double[] judgeRow = row(printed, RlDemo.JUDGE_ROW);
    double sft = judged(model, demo.resolve("sft/adapter"), data.resolve("val.jsonl"), maxNew);
    double ppo = judged(model, run.resolve("adapter"), data.resolve("val.jsonl"), maxNew);
    assertThat(sft).as("the SFT policy writes parseable reports").isGreaterThan(0.3);
    assertThat(judgeRow[0]).isEqualTo(round4(sft));
    assertThat(judgeRow[1]).isEqualTo(round4(ppo));
    // the sampled row: the evaluator's judge on 4 reports per alert sampled at temperature 1 with the
    // recipe's seed (42), for each adapter
    double[] sampledRow = row(printed, RlDemo.SAMPLED_ROW);
    try (EvalSession es = EvalSession.open(model, null, data.resolve("val.jsonl"), 0, null,
        new EvalConfig(maxNew, 4, 42, 16, 32), Device.cpu())) {
      es.loadPolicy("a", demo.resolve("sft/adapter"));
      es.loadPolicy("b", run.resolve("adapter"));
      assertThat(sampledRow[0]).isEqualTo(round4(es.evaluator().sampledJudge("a").mean()));
      assertThat(sampledRow[1]).isEqualTo(round4(es.evaluator().sampledJudge("b").mean()));
    }
    // the run was rewarded by the demo folder's reward model (not runs/demo's, which the recipe names)
    JsonNode resolved = new ObjectMapper().readTree(run.resolve("resolved_config.json").toFile());
    assertThat(resolved.get("reward_model").asText()).isEqualTo(demo.resolve("rm/adapter").toString());
    // the run's own held-out reward is the reward model's, printed as such
    List<Double> evalScores = new ArrayList<>();
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = new ObjectMapper().readTree(l);
      if (n.has("eval/score")) {
        evalScores.add(n.get("eval/score").asDouble());
      }
    }
    double[] rewardRow = row(printed, "held-out training reward (greedy, eval/score)");
    assertThat(rewardRow[0]).isEqualTo(round4(evalScores.get(0)));
    assertThat(rewardRow[1]).isEqualTo(round4(evalScores.get(evalScores.size() - 1)));
    assertThat(printed).contains("reward: reward model " + demo.resolve("rm/adapter") + " (normalised)");
  }

  /** The judge score of {@code IncidentEval} (a third per part) on greedy reports of the adapter. */
  static double judged(Path model, Path adapter, Path val, int maxNew) throws Exception {
    List<IncidentEval.Item> items = TinyIncident.items(val);
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(model)) {
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, adapter, "policy");
      peft.state().setTraining(false);
      IncidentEval.Scores s = IncidentEval.score(pm.model(), tok, tok.chatTemplate().orElseThrow(), items, maxNew);
      return (s.format() + s.eventType() + s.riskLevel()) / 3;
    }
  }

  /** The two numbers of a printed row. */
  static double[] row(String printed, String label) {
    String line = printed.lines().filter(l -> l.startsWith(label)).findFirst()
        .orElseThrow(() -> new AssertionError("no row '" + label + "' in:\n" + printed));
    String[] f = line.substring(label.length()).trim().split("\\s+");
    return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])};
  }

  static double round4(double v) {
    return Double.parseDouble(String.format(Locale.ROOT, "%.4f", v));
  }
}
