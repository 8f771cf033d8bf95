package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The fused AdamW against PyTorch's AdamW written out in Java doubles. */
class AdamWTest {
  @Test
  void threeStepsMatchTheReferenceWithDecoupledDecayOnMatricesOnly() {
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-8;
    double wd = 0.1;
    float[] w0 = {0.5f, -1f, 2f, 0.25f};
    float[] b0 = {0.1f, -0.2f};
    float[][] gw = {{0.1f, -0.2f, 0.3f, 0.0f}, {1f, 1f, -1f, 2f}, {-0.5f, 0.25f, 0f, 1e-3f}};
    float[][] gb = {{0.5f, 0.5f}, {-1f, 2f}, {0f, 0.1f}};
    try (NDManager m = Torch.newManager()) {
      Parameter w = new Parameter("w", m.create(w0, new Shape(2, 2)), Precision.FLOAT32);
      Parameter b = new Parameter("b", m.create(b0, new Shape(2)), Precision.FLOAT32);
      w.setTrainable(true);
      b.setTrainable(true);
      try (AdamW opt = new AdamW(List.of(w, b), m, b1, b2, eps, wd)) {
        double[] rw = toDouble(w0);
        double[] rb = toDouble(b0);
        double[][] mw = new double[2][4];
        double[][] mb = new double[2][2];
        for (int step = 0; step < 3; step++) {
          Gradients.zero(List.of(w, b));
          // gradients from a real backward: d/dp sum(p * g) = g
          try (NDManager s = m.newSubManager();
              GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(w.data().mul(s.create(gw[step], new Shape(2, 2))).sum()
                .add(b.data().mul(s.create(gb[step], new Shape(2))).sum()));
          }
          opt.step(lr);
          reference(rw, gw[step], mw, step + 1, lr, b1, b2, eps, wd);
          reference(rb, gb[step], mb, step + 1, lr, b1, b2, eps, 0.0);   // no decay on 1-D tensors
          assertThat(toDouble(w.data().toFloatArray())).containsExactly(rw, Offset.offset(1e-6));
          assertThat(toDouble(b.data().toFloatArray())).containsExactly(rb, Offset.offset(1e-6));
        }
        assertThat(opt.steps()).isEqualTo(3);
      }
    }
  }

  @Test
  void aParametersLrScaleIsItsGroupsLearningRateInBothUpdatePaths() {
    // torch: param_groups [{params: [w], lr}, {params: [w2], lr * 10}, {params: [b], lr * 0.5}]
    double lr = 0.01;
    float[] w0 = {0.5f, -1f, 2f, 0.25f};
    float[] b0 = {0.1f, -0.2f};
    float[][] g = {{0.1f, -0.2f, 0.3f, 0.05f}, {1f, 1f, -1f, 2f}};
    for (boolean fused : new boolean[] {true, false}) {
      try (NDManager m = Torch.newManager()) {
        Parameter w = new Parameter("w", m.create(w0, new Shape(2, 2)), Precision.FLOAT32);
        Parameter w2 = new Parameter("w2", m.create(w0, new Shape(2, 2)), Precision.FLOAT32);
        Parameter b = new Parameter("b", m.create(b0, new Shape(2)), Precision.FLOAT32);
        List<Parameter> ps = List.of(w, w2, b);
        ps.forEach(p -> p.setTrainable(true));
        w2.setLrScale(10);
        b.setLrScale(0.5);
        try (AdamW opt = new AdamW(ps, m, 0.9, 0.99, 1e-8, 0.1, fused)) {
          double[][] ref = {toDouble(w0), toDouble(w0), toDouble(b0)};
          double[][][] mv = {new double[2][4], new double[2][4], new double[2][2]};
          double[] scale = {1, 10, 0.5};
          double[] wd = {0.1, 0.1, 0.0};
          for (int step = 0; step < 2; step++) {
            Gradients.zero(ps);
            try (NDManager s = m.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              gc.backward(w.data().mul(s.create(g[step], new Shape(2, 2))).sum()
                  .add(w2.data().mul(s.create(g[step], new Shape(2, 2))).sum())
                  .add(b.data().mul(s.create(new float[] {g[step][0], g[step][1]}, new Shape(2))).sum()));
            }
            opt.step(lr);
            for (int i = 0; i < 3; i++) {
              float[] gi = i < 2 ? g[step] : new float[] {g[step][0], g[step][1]};
              reference(ref[i], gi, mv[i], step + 1, lr * scale[i], 0.9, 0.99, 1e-8, wd[i]);
              assertThat(toDouble(ps.get(i).data().toFloatArray())).as("%s, fused %s", ps.get(i).name(), fused)
                  .containsExactly(ref[i], Offset.offset(1e-6));
            }
          }
        }
      }
    }
  }

  /** torch.optim.AdamW, one step, in doubles. */
  static void reference(double[] p, float[] g, double[][] mv, int t, double lr, double b1, double b2, double eps, double wd) {
    for (int i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      mv[0][i] = b1 * mv[0][i] + (1 - b1) * g[i];
      mv[1][i] = b2 * mv[1][i] + (1 - b2) * g[i] * g[i];
      double bc1 = 1 - Math.pow(b1, t);
      double bc2 = 1 - Math.pow(b2, t);
      p[i] -= lr / bc1 * mv[0][i] / (Math.sqrt(mv[1][i]) / Math.sqrt(bc2) + eps);
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
