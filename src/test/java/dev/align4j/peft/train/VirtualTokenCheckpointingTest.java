package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.Adapter;
import dev.align4j.peft.adapter.PrefixTuning;
import dev.align4j.peft.adapter.PromptTuning;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.train.ActivationCheckpointingTest.PlainAndCheckpointed;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Prompt, P- and prefix tuning under activation checkpointing: the virtual tokens are part of the
 * recomputed forward, so their gradients equal a plain backward's (float64, padded batch). Before
 * the fix the checkpointed path skipped them and every gradient was 0.
 */
class VirtualTokenCheckpointingTest {
  @ParameterizedTest
  @CsvSource({"PROMPT_TUNING, COMPOSED", "P_TUNING, COMPOSED", "PREFIX_TUNING, COMPOSED", "PREFIX_TUNING, FUSED"})
  void gradientsEqualThePlainBackward(String kind, AttentionImpl impl) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, impl, m,
            RandomWeights.generate(c, m, 6, 0.3, 0.1, DataType.FLOAT64))) {
      Adapter a = switch (kind) {
        case "PREFIX_TUNING" -> new PrefixTuning(model, 3, 5);
        case "P_TUNING" -> new PromptTuning(model, PromptTuning.Kind.P_TUNING, 3, 8, 5, null);
        default -> new PromptTuning(model, PromptTuning.Kind.PROMPT_TUNING, 3, 0, 5, null);
      };
      List<Parameter> params = a.trainableParameters();
      PlainAndCheckpointed both = ActivationCheckpointingTest.backwardBothWays(model, m, params);
      double plainLoss = both.plainLoss();
      double ckLoss = both.checkpointedLoss();
      List<double[]> plain = both.plain();
      assertThat(ckLoss).isCloseTo(plainLoss, Offset.offset(1e-10));
      for (int i = 0; i < params.size(); i++) {
        double[] g = params.get(i).data().getGradient().toDoubleArray();
        assertThat(Arrays.stream(plain.get(i)).map(Math::abs).max().orElse(0)).as("plain gradient of "
            + params.get(i).name()).isGreaterThan(1e-6);
        assertThat(g).as(params.get(i).name()).containsExactly(plain.get(i), Offset.offset(1e-12));
      }
    }
  }

  /** The user-visible symptom: with checkpointing a run trained nothing (gradient norm 0 every step). */
  @Test
  void trainingRunsMatchWithAndWithoutCheckpointing() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    List<List<StepMetrics>> runs = new ArrayList<>();
    for (boolean ck : new boolean[] {false, true}) {
      try (NDManager m = Torch.newManager();
          CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.FUSED, m,
              RandomWeights.generate(c, m, 6, 0.3, 0.1, DataType.FLOAT64))) {
        PrefixTuning pt = new PrefixTuning(model, 2, 3);
        TrainerConfig cfg = TrainerConfig.of(4, 2, 2).withActivationCheckpointing(ck);
        runs.add(new Trainer(model, pt.trainableParameters(), cfg, s -> 1e-2, null).train(TrainerTest.data(), null));
      }
    }
    for (int i = 0; i < 4; i++) {
      double plain = runs.get(0).get(i).gradNorm();
      // relative 1e-7: the checkpointed path scales by 1/targets through a float32 scalar (Kernels.scalar),
      // the plain path divides by targets; LoRA runs differ by the same ~1e-8
      assertThat(runs.get(1).get(i).gradNorm()).isGreaterThan(0).isCloseTo(plain, Offset.offset(1e-7 * plain));
      assertThat(runs.get(1).get(i).loss()).isCloseTo(runs.get(0).get(i).loss(), Offset.offset(1e-9));
    }
  }
}
