package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir Path tmp;

  static List<TrainingExample> data() {
    // a learnable pattern: each sequence counts up from a random start (mod 60)
    SplittableRandom r = new SplittableRandom(1);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      int len = 6 + r.nextInt(6);
      long start = r.nextInt(60);
      long[] ids = new long[len];
      for (int j = 0; j < len; j++) {
        ids[j] = 1 + (start + j) % 60;
      }
      out.add(TrainingExample.allTokens(ids));
    }
    return out;
  }

  static List<Double> run(Path dir, long steps, ModelConfig c) throws IOException {
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", new LoraConfig(4, 8, 0.1, List.of("all-linear"), null, false, false, List.of()), 7);
      TrainerConfig cfg = TrainerConfig.of(steps, 2, 2).withCheckpointEvery(2);
      Trainer t = new Trainer(model, peft.trainableParameters(), cfg, s -> 3e-3, dir);
      return t.train(data(), null).stream().map(StepMetrics::loss).toList();
    }
  }

  @Test
  void resumedRunEqualsUninterruptedBitForBit() throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    List<Double> full = run(tmp.resolve("full"), 6, c);
    Path dir = tmp.resolve("interrupted");
    List<Double> first = run(dir, 3, c);              // checkpoints at 2 and 3
    // simulate a crash mid-save: a half-written temp checkpoint must be ignored
    Files.createDirectories(dir.resolve(".tmp-checkpoint-4-x"));
    List<Double> rest = run(dir, 6, c);               // resumes from checkpoint-3
    assertThat(first).containsExactlyElementsOf(full.subList(0, 3));
    assertThat(rest).containsExactlyElementsOf(full.subList(3, 6));
    assertThat(TrainingCheckpoint.complete(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("checkpoint-4", "checkpoint-6");   // keep the last 2
  }


}
