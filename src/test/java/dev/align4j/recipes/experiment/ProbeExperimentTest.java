package dev.align4j.recipes.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.Align4j;
import dev.align4j.recipes.experiment.ProbeExperiment.Result;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j experiment probe} on a tiny demo-shaped folder: every model present is probed for
 * both labels and poolings, each table cell is what {@code align4j probe} alone prints into its
 * {@code probe.json}, and an aligned adapter that is a copy of the SFT adapter scores exactly as SFT.
 */
class ProbeExperimentTest {
  @TempDir static Path tmp;
  static Path demo;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void tinyDemo() throws Exception {
    demo = tmp.resolve("demo");
    Path data = tmp.resolve("incident.jsonl");
    assertThat(Align4j.execute("data", "incident", "--out", data.toString(), "--examples", "24", "--seed", "1")).isZero();
    Path base = demo.resolve("base");
    int vocab = CharTokenizer.write(base, List.of(Files.readString(data)));
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(base, new ModelConfig(ModelFamily.QWEN3, vocab, 32, 64, 2, 4, 2, 8, 1e-6, 1e4, null, 512,
          true, false, "float32"), 1, null, Optional.empty(), m);
      TinyCheckpoint.write(demo.resolve("pt/model"), new ModelConfig(ModelFamily.QWEN3, vocab, 32, 64, 2, 4, 2, 8, 1e-6,
          1e4, null, 512, true, false, "float32"), 2, null, Optional.empty(), m);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(base.resolve(f), demo.resolve("pt/model").resolve(f));
    }
    Path recipe = tmp.resolve("sft.yaml");
    Files.writeString(recipe, "model_name_or_path: " + demo.resolve("pt/model") + "\ndataset: " + data
        + "\nlora_rank: 4\nlora_alpha: 8\nper_device_train_batch_size: 4\nlearning_rate: 5.0e-2\nmax_steps: 2\n"
        + "output_dir: " + demo.resolve("sft") + "\n");
    assertThat(Align4j.execute("sft", "--config", recipe.toString(), "--device", "cpu")).isZero();
    // an "aligned" adapter equal to the SFT one: its probes must equal SFT's to the last digit
    Path dpo = Files.createDirectories(demo.resolve("dpo/adapter"));
    try (var files = Files.list(demo.resolve("sft/adapter"))) {
      for (Path f : files.toList()) {
        Files.copy(f, dpo.resolve(f.getFileName()));
      }
    }
  }

  @Test
  void everyModelIsProbedAndEachCellEqualsTheProbeCommand() throws Exception {
    Path out = tmp.resolve("results");
    Path work = tmp.resolve("work");
    List<Result> results = ProbeExperiment.run(new ProbeExperiment.Settings(demo, out, work, 24, 1, "cpu"));
    List<String> models = List.of("random init", "pre-trained", "SFT", "DPO");
    assertThat(results).hasSize(models.size() * 2 * 2);
    assertThat(results.stream().map(Result::subject).distinct().toList()).isEqualTo(models);
    for (Result r : results) {
      assertThat(r.eval()).hasSize(3);   // embeddings, 2 layers (the last the final normed states)
      JsonNode probe = JSON.readTree(work.resolve(ProbeExperiment.slug(r.subject()))
          .resolve(r.label() + "-" + r.pooling()).resolve("probe.json").toFile());
      for (int l = 0; l < 3; l++) {
        assertThat(r.eval()[l]).isEqualTo(probe.get("layers").get(l).get("eval_accuracy").asDouble());
      }
      if (r.subject().equals("DPO")) {
        Result sft = results.stream().filter(s -> s.subject().equals("SFT") && s.label().equals(r.label())
            && s.pooling().equals(r.pooling())).findFirst().orElseThrow();
        assertThat(r.eval()).containsExactly(sft.eval());
        assertThat(r.train()).containsExactly(sft.train());
      }
    }
    // the table and the CSV carry the same numbers
    String csv = Files.readString(out.resolve("probe.csv"));
    Result first = results.get(0);
    assertThat(csv).contains(String.format(Locale.ROOT, "random init,%s,%s,0,%.6f", first.label(),
        first.pooling(), first.eval()[0]));
    assertThat(csv.lines().count()).isEqualTo(1 + results.size() * 3L);
    String md = Files.readString(out.resolve("probe.md"));
    assertThat(md).contains("## event_type, mean pooling").contains("## risk_level, last pooling").contains("| DPO |")
        .contains("| majority class |");
    assertThat(out.resolve("probe_layers.png")).isNotEmptyFile();
    List<String> commands = Files.readAllLines(out.resolve("commands.txt"));
    assertThat(commands).hasSize(2 + results.size());
    assertThat(commands.get(0)).startsWith("./align4j experiment probe --demo " + demo);
    assertThat(commands.get(1)).startsWith("./align4j data incident --out ");
    assertThat(commands.get(2)).startsWith("./align4j probe --model " + demo.resolve("base"));
  }

  @Test
  void aDemoWithoutSftIsAnErrorNamingWhatIsMissing() {
    assertThatThrownBy(() -> ProbeExperiment.subjects(tmp.resolve("nothing")))
        .hasMessageContaining("pt/model/config.json not found").hasMessageContaining("align4j demo");
  }
}
