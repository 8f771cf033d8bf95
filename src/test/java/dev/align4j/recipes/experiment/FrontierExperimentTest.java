package dev.align4j.recipes.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.Align4j;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j experiment frontier} on a tiny demo directory (a random tiny model, a 2-step SFT
 * adapter): PPO and DPO runs measured at their checkpoints next to the SFT point (KL exactly 0), the
 * CSV, table, plot and results index written, and the same seed gives the same CSV bytes.
 */
class FrontierExperimentTest {
  @TempDir Path tmp;

  /** A tiny stand-in for what `align4j demo` leaves: pt/model, sft/adapter, data/train.jsonl, data/val.jsonl. */
  static Path tinyDemo(Path tmp) throws Exception {
    Path demo = tmp.resolve("demo");
    Path model = demo.resolve("pt/model");
    Path data = demo.resolve("data");
    Files.createDirectories(data);
    List<ObjectNode> recs = IncidentDataset.generate(16, 5);
    JsonlWriter.writeAll(data.resolve("train.jsonl"), recs.subList(0, 12));
    JsonlWriter.writeAll(data.resolve("val.jsonl"), recs.subList(12, 16));
    List<String> corpus = new ArrayList<>(List.of(IncidentDataset.INSTRUCTION));
    recs.forEach(r -> {
      corpus.add(r.get("input").asText());
      corpus.add(r.get("output").asText());
    });
    // the DPO pairs' alerts and reports too, so that the character vocabulary covers them
    for (IncidentPreferences.Pair p : IncidentPreferences.split(8, 96, 42 + 1_000).train()) {
      corpus.add(p.user());
      corpus.add(p.chosen());
      corpus.add(p.rejected());
    }
    int vocab = CharTokenizer.write(model, corpus);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN2, vocab, 32, 64, 2, 4, 2, 8, 1e-6, 1e4, null, 512,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
    assertThat(Align4j.execute("sft", "model_name_or_path=" + model, "dataset=" + data.resolve("train.jsonl"),
        "output_dir=" + demo.resolve("sft"), "max_steps=2", "lora_rank=4", "lora_alpha=8", "learning_rate=5.0e-2"))
        .isZero();
    return demo;
  }

  @Test
  void writesTheFrontierAndRepeatsItForTheSameSeed() throws Exception {
    Path demo = tinyDemo(tmp);
    Path results = tmp.resolve("results");
    Path out = results.resolve("frontier");
    String[] args = {"experiment", "frontier", "--demo", demo.toString(), "--out", out.toString(), "--work",
        tmp.resolve("work").toString(), "--kl-coefs", "0.1", "--betas", "0.1", "--ppo-steps", "2", "--dpo-steps", "2",
        "--pairs", "8", "--eval-prompts", "3", "--samples", "2", "--max-new-tokens", "8", "--ppo", "max_completion_length=8", "--ppo",
        "prompts_per_rollout=2", "--ppo", "per_device_train_batch_size=2", "--ppo", "num_mini_batches=1", "--dpo",
        "per_device_train_batch_size=2", "--device", "cpu"};
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
    String first;
    String second;
    try {
      assertThat(Align4j.execute(args)).isZero();
      first = Files.readString(out.resolve("frontier.csv"));
      assertThat(Align4j.execute(args)).isZero();
      second = Files.readString(out.resolve("frontier.csv"));
    } finally {
      System.setOut(stdout);
    }
    assertThat(second).isEqualTo(first);
    List<String> lines = first.lines().toList();
    assertThat(lines.get(0)).isEqualTo(FrontierReport.HEADER);
    // the SFT point against its own frozen copy: KL exactly 0
    assertThat(lines.get(1)).startsWith("SFT,,,0,").contains(",0.0000,0.0000,6");
    assertThat(lines.stream().filter(l -> l.startsWith("PPO,kl_coef,0.1,"))).isNotEmpty();
    assertThat(lines.stream().filter(l -> l.startsWith("DPO,pref_beta,0.1,"))).hasSize(2);
    assertThat(out.resolve("frontier.png")).exists();
    String md = Files.readString(out.resolve("frontier.md"));
    assertThat(md).contains("| SFT | 0 |").contains("DPO pref_beta=0.1").contains("./align4j experiment frontier --demo");
    assertThat(Files.readString(out.resolve(ResultsIndex.COMMAND))).startsWith("./align4j experiment frontier --demo");
    assertThat(Files.readString(results.resolve("README.md"))).contains("frontier/frontier.csv")
        .contains("./align4j experiment frontier");
  }

  @Test
  void aMissingDemoIsAnErrorThatSaysToRunIt() {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      assertThat(Align4j.execute("experiment", "frontier", "--demo", tmp.resolve("nope").toString(), "--out",
          tmp.resolve("o").toString())).isEqualTo(1);
      assertThat(Align4j.execute("experiment", "frontier", "--demo", tmp.toString(), "--betas", "0")).isEqualTo(1);
    } finally {
      System.setErr(err);
    }
    assertThat(buf.toString()).contains("align4j demo").contains("beta must be");
  }
}
