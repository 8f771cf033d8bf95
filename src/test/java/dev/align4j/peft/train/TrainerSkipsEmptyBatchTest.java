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

class TrainerSkipsEmptyBatchTest {
  @Test
  void aBatchWithNoTargetsIsSkippedNotNaN() throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    List<TrainingExample> masked = List.of(new TrainingExample(new long[] {1, 2, 3}, new boolean[3]));
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      model.setAllTrainable(true);
      float[] before = model.parameters().get("model.norm.weight").data().toFloatArray();
      StepMetrics s = new Trainer(model, model.trainableParameters(), TrainerConfig.of(1, 1, 1), x -> 1e-2, null)
          .train(masked, null).get(0);
      assertThat(s.count()).isZero();
      assertThat(s.loss()).isEqualTo(0.0);   // reported, never NaN
      assertThat(model.parameters().get("model.norm.weight").data().toFloatArray()).containsExactly(before);
    }
  }
}
