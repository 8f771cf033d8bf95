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

class TrainerLearnsTest {
  @Test
  void loraTrainingReducesLoss() throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(8, 16, "all-linear"), 7);
      Trainer t = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(40, 4, 1), s -> 1e-2, null);
      List<StepMetrics> ms = t.train(TrainerTest.data(), null);
      double first = ms.subList(0, 5).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
      double last = ms.subList(35, 40).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
      assertThat(last).isLessThan(first * 0.7);
    }
  }
}
