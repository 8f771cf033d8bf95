package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
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
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Micro-batch 1 x 8 accumulation gives the same gradient as one batch of 8, sequences of any length. */
class AccumulationTest {

  private static List<TrainingExample> examples() {
    SplittableRandom r = new SplittableRandom(4);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int len = 3 + r.nextInt(9);             // lengths 3..11: very different target counts
      long[] ids = new long[len];
      boolean[] t = new boolean[len];
      for (int j = 0; j < len; j++) {
        ids[j] = 1 + r.nextInt(60);
        t[j] = j >= len / 2;                   // "prompt" half masked, "response" half trained
      }
      out.add(new TrainingExample(ids, t));
    }
    return out;
  }

  private static List<double[]> grads(CausalLM model, NDManager m, List<List<TrainingExample>> micro) {
    List<Parameter> ps = model.trainableParameters();
    Gradients.zero(ps);
    long total = TokenLoss.totalTargets(micro);
    for (List<TrainingExample> mb : micro) {
      try (NDManager s = m.newSubManager();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(TokenLoss.sumNll(model, TokenLoss.collate(s, mb, 0)).div(total));
      }
    }
    List<double[]> out = new ArrayList<>();
    for (Parameter p : ps) {
      out.add(p.data().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
    }
    return out;
  }

  @Test
  void oneByEightEqualsEightByOne() {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 8, 0.2, 0.1, DataType.FLOAT64))) {
      model.setAllTrainable(true);
      List<TrainingExample> ex = examples();
      List<double[]> full = grads(model, m, List.of(ex));
      List<List<TrainingExample>> singles = new ArrayList<>();
      ex.forEach(e -> singles.add(List.of(e)));
      List<double[]> acc = grads(model, m, singles);
      List<List<TrainingExample>> pairs = List.of(ex.subList(0, 2), ex.subList(2, 4), ex.subList(4, 6), ex.subList(6, 8));
      List<double[]> acc2 = grads(model, m, pairs);
      for (int i = 0; i < full.size(); i++) {
        assertThat(acc.get(i)).containsExactly(full.get(i), Offset.offset(1e-12));
        assertThat(acc2.get(i)).containsExactly(full.get(i), Offset.offset(1e-12));
      }
      // and the mean-of-means (what a per-micro-batch mean does) would differ
      assertThat(TokenLoss.totalTargets(List.of(ex))).isEqualTo(ex.stream().mapToInt(TrainingExample::targetCount).sum());
    }
  }

  @Test
  void clippingScalesToMaxNorm() {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 8, 0.2, 0.1, DataType.FLOAT32))) {
      model.setAllTrainable(true);
      grads(model, m, List.of(examples()));
      double before = Gradients.clipGlobalNorm(model.trainableParameters(), 0);
      assertThat(before).isGreaterThan(0.05);
      Gradients.clipGlobalNorm(model.trainableParameters(), 0.05);
      assertThat(Gradients.clipGlobalNorm(model.trainableParameters(), 0)).isCloseTo(0.05, Offset.offset(1e-5));
    }
  }
}
