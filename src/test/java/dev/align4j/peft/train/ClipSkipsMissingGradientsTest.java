package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Global-norm clipping over parameters of which one received no gradient, as torch's
 * clip_grad_norm_ (which skips None gradients): the norm is that of the others (hand-derived: |(3, 4)|
 * = 5), they are scaled by {@code max / (5 + 1e-6)}, and the parameter without one still has none
 * (so AdamW then skips it), in float32 and float64.
 */
class ClipSkipsMissingGradientsTest {
  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
  void normAndScalingIgnoreAParameterWithoutGradient(Precision precision) {
    DataType dt = precision == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    try (NDManager m = Torch.newManager()) {
      Parameter a = new Parameter("a", m.create(new double[] {1, 2}, new Shape(2)).toType(dt, false), precision);
      Parameter b = new Parameter("b", m.create(new double[] {5, 6}, new Shape(2)).toType(dt, false), precision);
      a.setTrainable(true);
      b.setTrainable(true);
      try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(a.data().mul(s.create(new double[] {3, 4}, new Shape(2)).toType(dt, false)).sum());   // grad a = (3, 4)
      }
      double norm = Gradients.clipGlobalNorm(List.of(a, b), 1.0);
      assertThat(norm).isCloseTo(5.0, offset(1e-6));
      try (NDManager s = m.newSubManager()) {
        assertThat(b.gradient(s)).isNull();
        double c = 1.0 / (5.0 + 1e-6);
        assertThat(a.gradient(s).toType(DataType.FLOAT64, false).toDoubleArray())
            .containsExactly(new double[] {3 * c, 4 * c}, offset(1e-6));
      }
    }
  }
}
