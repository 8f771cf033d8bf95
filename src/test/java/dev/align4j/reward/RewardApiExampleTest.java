package dev.align4j.reward;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingLoop;
import dev.align4j.recipes.Align4j;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's reward-modelling Java example, compiled and run here on a tiny model; the README block
 * must be this test's snippet (between the readme-rm markers), so it cannot rot.
 */
class RewardApiExampleTest {
  @TempDir Path tmp;

  @Test
  void theReadmeExampleRunsAndIsTheReadmeBlock() throws Exception {
    Path modelDir = tmp.resolve("tiny");
    assertThat(Align4j.execute("tiny", "--family", "qwen3", "--out", modelDir.toString(), "--tokenizer",
        "recipes/assets/tokenizers/qwen3", "--hidden", "16", "--intermediate", "32", "--heads", "2",
        "--kv-heads", "1", "--seed", "7")).isZero();
    Path pairsFile = tmp.resolve("pairs.jsonl");
    Files.writeString(pairsFile, "{\"prompt\": \"Is 2 > 1? \", \"chosen\": \"yes\", \"rejected\": \"no\"}\n"
        + "{\"prompt\": \"Is 1 > 2? \", \"chosen\": \"no\", \"rejected\": \"yes\"}\n");
    Path out = tmp.resolve("rm");
    double[] scores;
    // readme-rm:begin
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(modelDir, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      Prepared<RewardEncoding> data = RewardData.prepare(pairsFile, PreferenceParser.auto(),
          PreferenceTokenizer.of(tok), PreferenceOptions.drop(1024));   // problems counted in data.report()
      long pad = tok.padId().orElse(tok.eosIds()[0]);
      PeftModel peft = new PeftModel(pm.model());
      peft.addLora("default", LoraConfig.of(16, 32, "all-linear"), 42);
      ScoreHead head = peft.addScoreHead("default", 1, 42);           // score: Linear(H, 1), N(0, 0.02)
      Trainer trainer = new Trainer(pm.model(), peft.trainableParameters(), TrainerConfig.of(5, 2, 1),
          step -> 1e-3, out.resolve("checkpoints"));
      new TrainingLoop<>(trainer, new RewardObjective(head, pad, new BradleyTerry(0)), out, "rm")
          .run(RewardData.pairs(data));
      RewardModel rm = RewardModel.ofAdapter(peft, "default", pad);  // scores at the last non-pad token
      scores = rm.score(List.of(tok.encode("Is 2 > 1? yes<|im_end|>", true)), 8);
      PeftAdapterFiles.save(peft, "default", out.resolve("adapter"), modelDir.toString());   // PEFT SEQ_CLS
    }
    // readme-rm:end
    try (NDManager m = Torch.newManager();
        RewardModel again = RewardModel.load(modelDir, out.resolve("adapter"), Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThat(again.score(List.of(Tokenizer.load(modelDir).encode("Is 2 > 1? yes<|im_end|>", true)), 1))
          .containsExactly(scores, Offset.offset(1e-5));
    }
    String source = Files.readString(Path.of("src/test/java/dev/align4j/reward/RewardApiExampleTest.java"));
    String readme = Files.readString(Path.of("README.md"));
    assertThat(normalise(readme.substring(readme.indexOf("<!-- readme-rm:begin -->"), readme.indexOf("<!-- readme-rm:end -->"))))
        .as("README's reward-modelling example: copy it from RewardApiExampleTest")
        .contains(normalise(source.substring(source.indexOf("// readme-rm:begin") + 18, source.indexOf("    // readme-rm:end"))));
  }

  private static String normalise(String s) {
    return Arrays.stream(s.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
  }
}
