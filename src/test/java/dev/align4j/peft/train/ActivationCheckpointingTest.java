package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gradients with per-layer activation checkpointing equal those of a plain backward (float64). */
class ActivationCheckpointingTest {
  @Test
  void trainingRunsMatchWithAndWithoutCheckpointing() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    List<List<Double>> losses = new ArrayList<>();
    for (boolean ck : new boolean[] {false, true}) {
      try (NDManager m = Torch.newManager();
          CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.FUSED, m,
              RandomWeights.generate(c, m, 6, 0.3, 0.1, DataType.FLOAT64))) {
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 2);
        TrainerConfig cfg = TrainerConfig.of(5, 2, 2).withActivationCheckpointing(ck);
        losses.add(new Trainer(model, peft.trainableParameters(), cfg, s -> 1e-2, null)
            .train(TrainerTest.data(), null).stream().map(StepMetrics::loss).toList());
      }
    }
    for (int i = 0; i < 5; i++) {
      assertThat(losses.get(1).get(i)).isCloseTo(losses.get(0).get(i), Offset.offset(1e-9));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void gradientsAreIdentical(boolean lora) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 6, 0.3, 0.1, DataType.FLOAT64))) {
      List<Parameter> params;
      if (lora) {
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 2);
        for (Parameter p : peft.trainableParameters()) {
          if (p.name().contains("lora_B")) {
            p.data().addi(m.randomNormal(0, 0.3f, p.shape(), DataType.FLOAT64));
          }
        }
        params = peft.trainableParameters();
      } else {
        model.setAllTrainable(true);
        params = model.trainableParameters();
      }
      PlainAndCheckpointed both = backwardBothWays(model, m, params);
      double plainLoss = both.plainLoss();
      double ckLoss = both.checkpointedLoss();
      List<double[]> plain = both.plain();
      assertThat(ckLoss).isCloseTo(plainLoss, Offset.offset(1e-12));
      for (int i = 0; i < params.size(); i++) {
        assertThat(params.get(i).data().getGradient().toDoubleArray()).as(params.get(i).name())
            .containsExactly(plain.get(i), Offset.offset(1e-12));
      }
    }
  }

  /**
   * Half the summed NLL of {@link PackingTest.AccumulationTestData}'s examples back-propagated plainly, then
   * with per-layer checkpointing (chunks of 7 rows): both losses and the plain gradients; {@code params}
   * hold the checkpointed gradients afterwards.
   */
  static PlainAndCheckpointed backwardBothWays(CausalLM model, NDManager m, List<Parameter> params) {
    List<TrainingExample> ex = PackingTest.AccumulationTestData.examples();
    double plainLoss;
    List<double[]> plain = new ArrayList<>();
    Gradients.zero(params);
    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      var loss = TokenLoss.sumNll(model, TokenLoss.collate(s, ex, 0));
      plainLoss = loss.getDouble();
      gc.backward(loss.mul(0.5));
    }
    params.forEach(p -> plain.add(p.data().getGradient().toDoubleArray()));
    Gradients.zero(params);
    double ckLoss;
    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      ckLoss = ActivationCheckpointing.backward(model, TokenLoss.collate(s, ex, 0), 0.5, 7);
    }
    return new PlainAndCheckpointed(plainLoss, ckLoss, plain);
  }

  /** What {@link #backwardBothWays} measured. */
  record PlainAndCheckpointed(double plainLoss, double checkpointedLoss, List<double[]> plain) {}
}
