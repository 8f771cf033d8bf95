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
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stop request ends the run after the step in flight with a checkpoint, from which a rerun resumes. */
class StopRequestTest {
  @TempDir Path tmp;

  private static List<Double> run(Path dir, BooleanSupplier stop) throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
      // checkpoints only at the end: the one at the stop comes from the request
      Trainer t = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(5, 2, 1), s -> 3e-3, dir);
      return t.stopWhen(stop).train(TrainerTest.data(), null).stream().map(StepMetrics::loss).toList();
    }
  }

  @Test
  void stopWritesACheckpointAndTheRerunContinuesExactly() throws IOException {
    List<Double> full = run(tmp.resolve("full"), () -> false);
    Path dir = tmp.resolve("stopped");
    int[] polls = {0};
    List<Double> first = run(dir, () -> ++polls[0] >= 3);      // requested during step 2: seen before step 3
    assertThat(first).containsExactlyElementsOf(full.subList(0, 2));
    assertThat(TrainingCheckpoint.latest(dir)).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("checkpoint-2"));
    List<Double> rest = run(dir, () -> false);
    assertThat(rest).containsExactlyElementsOf(full.subList(2, 5));
  }
}
