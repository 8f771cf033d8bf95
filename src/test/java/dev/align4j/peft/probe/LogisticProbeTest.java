package dev.align4j.peft.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probe's objective and solver against torch's own L-BFGS on the same objective
 * ({@code src/test/resources/probe/make_probe_goldens.py}), finite differences and hand-derived values.
 */
class LogisticProbeTest {
  static final Path GOLDENS = Path.of("src/test/resources/probe/probe_goldens.json");

  @ParameterizedTest
  @ValueSource(strings = {"multinomial4", "binary", "separable_small_l2", "wide_d_gt_n"})
  void fitEqualsTorchLbfgsOptimum(String name) throws IOException {
    JsonNode c = new ObjectMapper().readTree(GOLDENS.toFile()).get(name);
    double[][] x = matrix(c.get("x"));
    int[] y = new int[c.get("y").size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = c.get("y").get(i).asInt();
    }
    LogisticObjective problem = new LogisticObjective(x, y, c.get("classes").asInt(), c.get("l2").asDouble());
    LogisticProbe p = LogisticProbe.fit(problem);
    assertThat(p.converged()).isTrue();
    // both at the unique optimum: the objective agrees to rounding, the weights to |grad| / curvature;
    // with separable classes and a small l2 the curvature along the (unpenalised) biases is tiny
    assertThat(p.loss()).isCloseTo(c.get("loss").asDouble(), within(1e-12));
    double[][] w = matrix(c.get("weights"));
    double tol = name.equals("separable_small_l2") ? 1e-5 : 1e-6;
    for (int k = 0; k < w.length; k++) {
      for (int j = 0; j < w[k].length; j++) {
        assertThat(p.weights()[k][j]).as("W[%d][%d]", k, j).isCloseTo(w[k][j], within(tol));
      }
      assertThat(p.bias()[k]).as("b[%d]", k).isCloseTo(c.get("bias").get(k).asDouble(), within(tol));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 5})
  void gradientEqualsFiniteDifferences(int classes) {
    SplittableRandom r = new SplittableRandom(classes);
    double[][] x = new double[9][4];
    int[] y = new int[9];
    for (int i = 0; i < 9; i++) {
      for (int j = 0; j < 4; j++) {
        x[i][j] = r.nextGaussian();
      }
      y[i] = i % classes;
    }
    LogisticObjective f = new LogisticObjective(x, y, classes, 0.3);
    double[] theta = new double[f.size()];
    for (int k = 0; k < theta.length; k++) {
      theta[k] = r.nextGaussian();
    }
    double[] g = f.evaluate(theta).gradient();
    double h = 1e-6;
    for (int k = 0; k < theta.length; k++) {
      double[] a = theta.clone();
      double[] b = theta.clone();
      a[k] += h;
      b[k] -= h;
      double fd = (f.evaluate(a).value() - f.evaluate(b).value()) / (2 * h);
      assertThat(g[k]).as("d f / d theta[%d]", k).isCloseTo(fd, within(1e-8));
    }
  }

  /** At zero every logit is 0: the loss is log K and the bias gradient 1/K minus the share of class c. */
  @Test
  void valueAtZeroIsLogK() {
    double[][] x = {{1, 2}, {3, -1}, {0, 0}, {2, 2}};
    int[] y = {0, 1, 2, 2};
    LogisticObjective f = new LogisticObjective(x, y, 3, 1.0);
    LogisticObjective.Evaluation e = f.evaluate(new double[f.size()]);
    assertThat(e.value()).isCloseTo(Math.log(3), within(1e-15));
    // d/db_c = mean(p_c - [y = c]) = 1/3 - share of class c
    assertThat(e.gradient()[6]).isCloseTo(1.0 / 3 - 0.25, within(1e-15));
    assertThat(e.gradient()[8]).isCloseTo(1.0 / 3 - 0.5, within(1e-15));
    // binary at zero: log 2
    LogisticObjective b = new LogisticObjective(x, new int[] {0, 1, 1, 0}, 2, 1.0);
    assertThat(b.evaluate(new double[b.size()]).value()).isCloseTo(Math.log(2), within(1e-15));
  }

  /**
   * A closed form: one feature x in {+1, -1}, two classes, no penalty; y = 1 with frequency q on
   * x = +1 and 1 - q on x = -1. By symmetry b = 0 and sigmoid(w) = q, so w = log(q / (1 - q)).
   */
  @Test
  void binaryClosedForm() {
    double[][] x = {{1}, {1}, {1}, {1}, {-1}, {-1}, {-1}, {-1}};
    int[] y = {1, 1, 1, 0, 0, 0, 0, 1};                                 // q = 3/4 on both sides
    LogisticProbe p = LogisticProbe.fit(new LogisticObjective(x, y, 2, 0.0));
    assertThat(p.weights()[0][0]).isCloseTo(Math.log(3), within(1e-9));
    assertThat(p.bias()[0]).isCloseTo(0, within(1e-9));
  }

  /** The penalised optimum satisfies the stationarity condition l2 W = -(grad of the data term). */
  @Test
  void optimumIsStationaryAndDeterministic() {
    SplittableRandom r = new SplittableRandom(11);
    double[][] x = new double[30][6];
    int[] y = new int[30];
    for (int i = 0; i < 30; i++) {
      y[i] = i % 4;
      for (int j = 0; j < 6; j++) {
        x[i][j] = r.nextGaussian() + (j == y[i] ? 8 : 0);        // separable
      }
    }
    LogisticObjective f = new LogisticObjective(x, y, 4, 0.01);
    LogisticProbe a = LogisticProbe.fit(f);
    LogisticProbe b = LogisticProbe.fit(f);
    assertThat(a.flat()).containsExactly(b.flat());
    assertThat(Lbfgs.maxAbs(f.evaluate(a.flat()).gradient())).isLessThan(1e-9);
    assertThat(a.accuracy(x, y)).isEqualTo(1.0);
  }

  @Test
  void badInputIsAClearError() {
    assertThatThrownBy(() -> new LogisticObjective(new double[][] {{1}}, new int[] {0}, 1, 0))
        .hasMessageContaining("at least 2 classes");
    assertThatThrownBy(() -> new LogisticObjective(new double[][] {{1}, {1, 2}}, new int[] {0, 1}, 2, 0))
        .hasMessageContaining("feature row 1");
    assertThatThrownBy(() -> new LogisticObjective(new double[][] {{1}}, new int[] {3}, 2, 0))
        .hasMessageContaining("label 0 is 3");
    assertThatThrownBy(() -> new LogisticObjective(new double[][] {{1}}, new int[] {0}, 2, -1))
        .hasMessageContaining("l2");
  }

  @Test
  void standardizerAndPooling() {
    Standardizer s = Standardizer.fit(new double[][] {{1, 5}, {3, 5}});
    assertThat(s.mean()).containsExactly(2, 5);
    assertThat(s.scale()).containsExactly(1, 1);                       // sd 1; constant feature: 1
    assertThat(s.apply(new double[][] {{4, 7}})[0]).containsExactly(2, 2);
    double[] states = {1, 2, 3, 4, 5, 6};                               // T = 3, H = 2
    assertThat(Pooling.MEAN.pool(states, 2)).containsExactly(3, 4);
    assertThat(Pooling.LAST.pool(states, 2)).containsExactly(5, 6);
    assertThatThrownBy(() -> Pooling.parse("max")).hasMessageContaining("mean or last");
  }

  static double[][] matrix(JsonNode n) {
    double[][] out = new double[n.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new double[n.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = n.get(i).get(j).asDouble();
      }
    }
    return out;
  }
}
