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
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat over a long run: each step allocates ~10 MiB of logits and activations,
 * so leaking even one step's tensors would add gigabytes over the measured window. Surefire
 * pre-touches the Java heap ({@code -Xms1g -XX:+AlwaysPreTouch}), so RSS growth here is native memory
 * (without it, eden pages being touched for the first time look like a slow leak).
 */
@Tag("memory")   // measures RSS: Surefire runs this class with the heap pre-touched (pom.xml)
class MemoryFlatTest {
  @Test
  void rssIsFlatOverHundredsOfSteps() throws Exception {
    ModelConfig c = new ModelConfig(ModelFamily.LLAMA, 4096, 64, 128, 2, 4, 2, 16, 1e-6, 1e4, null, 256, false, false, "float32");
    List<TrainingExample> data = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      long[] ids = new long[64];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = (i * 131 + j * 17) % 4096;
      }
      data.add(TrainingExample.allTokens(ids));
    }
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m,
            RandomWeights.generate(c, m, 1, 0.02, 0, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(8, 16, "all-linear"), 1);
      long[] rss = new long[2];
      int[] arrays = new int[2];
      new Trainer(model, peft.trainableParameters(), TrainerConfig.of(400, 8, 1), s -> 1e-3, null).train(data, st -> {
        if (System.getenv("ALIGN4J_MEM_TRACE") != null && st.step() % 50 == 0) {
          System.err.println("step " + st.step() + " rss " + MetricsLog.rssMib() + " MiB");
        }
        if (st.step() == 150) {
          rss[0] = MetricsLog.rssMib();
          arrays[0] = m.getManagedArrays().size();
        } else if (st.step() == 400) {
          rss[1] = MetricsLog.rssMib();
          arrays[1] = m.getManagedArrays().size();
        }
      });
      assertThat(arrays[1]).as("arrays alive under the model's manager").isEqualTo(arrays[0]);
      assertThat(rss[0]).isPositive();
      assertThat(rss[1] - rss[0]).as("RSS growth from step 150 to 400, MiB (%d -> %d)", rss[0], rss[1]).isLessThan(120);   // allocator caches move in steps of ~50 MiB; a leaked step is ~10 MiB x 250
    }
  }
}
