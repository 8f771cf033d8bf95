package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Backward against central finite differences in float64, for every family. */
class GradientCheckTest {

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void backwardMatchesFiniteDifferences(ModelFamily family) {
    ModelConfig c = TinyConfigs.of(family);
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 7, 0.3, 0.2, DataType.FLOAT64);
      try (CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.COMPOSED, m, w)) {
        model.setAllTrainable(true);
        // right-padded batch: row 1 has 2 pads, which must not contribute
        ModelInput in = ModelInput.padded(m, new long[][] {{1, 5, 9, 33, 2, 7}, {4, 8, 15, 16}}, 0, false);
        NDArray weights = m.create(new double[] {1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, new ai.djl.ndarray.types.Shape(2, 5));
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(model.nextTokenLoss(in, weights));
        }
        SplittableRandom rng = new SplittableRandom(3);
        int checked = 0;
        for (Parameter p : model.parameters().values()) {
          double[] grad = p.data().getGradient().toDoubleArray();
          for (int trial = 0; trial < 2; trial++) {
            int idx = rng.nextInt(grad.length);
            double numeric = finiteDifference(model, in, weights, p.data(), idx);
            assertThat(grad[idx])
                .as("%s[%d]", p.name(), idx)
                .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-7 + 1e-5 * Math.abs(numeric)));
            checked++;
          }
        }
        assertThat(checked).isEqualTo(2 * model.parameters().size());
      }
    }
  }

  private static double finiteDifference(CausalLM model, ModelInput in, NDArray weights, NDArray p, int idx) {
    double h = 1e-6;
    double[] onehot = new double[(int) p.size()];
    onehot[idx] = h;
    try (NDManager s = p.getManager().newSubManager()) {
      NDArray d = s.create(onehot, p.getShape());
      p.addi(d);
      double plus = model.nextTokenLoss(in, weights).getDouble();
      p.subi(d).subi(d);
      double minus = model.nextTokenLoss(in, weights).getDouble();
      p.addi(d);
      return (plus - minus) / (2 * h);
    }
  }
}
