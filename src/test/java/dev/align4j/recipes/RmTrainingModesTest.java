package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.rm.RmRecipe;
import dev.align4j.recipes.rm.RmRun;
import dev.align4j.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align4j rm} with the engine's features on a tiny Qwen2-shaped model with a character tokenizer:
 * a run stopped at a checkpoint and resumed equals the uninterrupted one bit for bit (losses and the saved
 * model); QLoRA, bfloat16 and freeze tuning train and save reward models that load and score.
 */
class RmTrainingModesTest {
  @TempDir static Path tmp;
  static Path model;
  static Path pairs;

  @BeforeAll
  static void setUp() throws Exception {
    TinyPairs tiny = TinyPairs.write(tmp);
    model = tiny.model();
    pairs = tiny.pairs();
  }

  static RmRun.Summary run(String name, String... keys) throws Exception {
    List<String> all = new ArrayList<>(List.of("model_name_or_path=" + model, "dataset=" + pairs,
        "per_device_train_batch_size=2", "gradient_accumulation_steps=2", "learning_rate=1.0e-2",
        "output_dir=" + tmp.resolve(name), "seed=3"));
    all.addAll(List.of(keys));
    return RmRun.run(RmRecipe.load(null, all));
  }

  static List<Double> losses(String name) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<Double> out = new ArrayList<>();
    for (String l : Files.readAllLines(tmp.resolve(name).resolve("metrics.jsonl"))) {
      JsonNode n = json.readTree(l);
      if (n.has("loss")) {
        out.add(n.get("loss").asDouble());
      }
    }
    return out;
  }

  @Test
  void aResumedRunEqualsTheUninterruptedOne() throws Exception {
    // a constant schedule: a linear or cosine one depends on max_steps, which the first part sets lower
    run("whole", "finetuning_type=full", "max_steps=4", "save_steps=1", "lr_scheduler_type=constant");
    run("parts", "finetuning_type=full", "max_steps=2", "save_steps=1", "lr_scheduler_type=constant");
    run("parts", "finetuning_type=full", "max_steps=4", "save_steps=1", "lr_scheduler_type=constant");
    assertThat(losses("parts")).containsExactlyElementsOf(losses("whole")).hasSize(4);
    assertThat(Files.readAllBytes(tmp.resolve("parts/model/model.safetensors")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("whole/model/model.safetensors")));
    assertThat(Files.exists(tmp.resolve("whole/loss.png"))).isTrue();
  }

  @Test
  void qloraBfloat16AndFreezeTrainRewardModelsThatScore() throws Exception {
    List<Path[]> outs = new ArrayList<>();
    run("qlora", "finetuning_type=lora", "quantization_bit=4", "max_steps=2");
    outs.add(new Path[] {model, tmp.resolve("qlora/adapter")});
    run("bf16", "finetuning_type=lora", "precision=bfloat16", "max_steps=2", "merge=true");
    outs.add(new Path[] {model, tmp.resolve("bf16/adapter")});
    outs.add(new Path[] {tmp.resolve("bf16/merged"), null});
    run("freeze", "finetuning_type=freeze", "freeze_trainable_layers=1", "max_steps=2");
    outs.add(new Path[] {tmp.resolve("freeze/model"), null});
    for (String name : List.of("qlora", "bf16", "freeze")) {
      assertThat(losses(name)).hasSize(2).allSatisfy(l -> assertThat(l).isPositive().isLessThan(100.0));
    }
    try (NDManager m = Torch.newManager()) {
      for (Path[] o : outs) {
        try (RewardModel rm = RewardModel.load(o[0], o[1], Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
          double[] s = rm.score(List.of(new long[] {5, 6, 7}, new long[] {8, 9}), 2);
          for (double v : s) {
            assertThat(Double.isFinite(v)).as(o[0] + " " + o[1]).isTrue();
          }
          assertThat(rm.storedStats()).as(o[0] + " " + o[1]).isPresent();
        }
      }
    }
  }
}
