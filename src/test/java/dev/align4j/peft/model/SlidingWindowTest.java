package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A sliding window that would take effect is refused, never silently ignored; a longer one is a no-op. */
class SlidingWindowTest {
  @Test
  void windowShorterThanTheSequenceIsRefusedAndLongerOneRuns() {
    ModelConfig base = TinyConfigs.of(ModelFamily.MISTRAL);
    ModelConfig windowed = new ModelConfig(base.family(), base.vocabSize(), base.hiddenSize(), base.intermediateSize(),
        base.numLayers(), base.numHeads(), base.numKvHeads(), base.headDim(), base.rmsNormEps(), base.ropeTheta(),
        null, base.maxPositionEmbeddings(), false, false, "float32", false, new SlidingWindow(4, List.of(0, 1)));
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(windowed, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(windowed, m, 1, 0.1, 0.1, DataType.FLOAT32))) {
      assertThat(model.logits(ModelInput.of(m, new long[][] {{1, 2, 3, 4}})).getShape().get(1)).isEqualTo(4);
      assertThatThrownBy(() -> model.logits(ModelInput.of(m, new long[][] {{1, 2, 3, 4, 5}})))
          .hasMessageContaining("sliding_window 4").hasMessageContaining("5 positions");
    }
  }
}
