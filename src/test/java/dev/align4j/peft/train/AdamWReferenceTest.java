package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AdamWReferenceTest {
  @Test
  void defaultsAreTrainingArguments() {
    AdamWConfig d = AdamWConfig.defaults();
    assertThat(d).isEqualTo(new AdamWConfig(5e-5, 0.9, 0.999, 1e-8, 0.0));
    assertThatThrownBy(() -> new AdamWConfig(1e-3, 1.0, 0.999, 1e-8, 0)).hasMessageContaining("beta1");
    assertThatThrownBy(() -> new AdamWConfig(-1, 0.9, 0.999, 1e-8, 0)).hasMessageContaining("lr");
    assertThatThrownBy(() -> new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, -0.1)).hasMessageContaining("weightDecay");
  }

  @Test
  void twoStepsHandComputed() {
    // lr 0.1, wd 0.01, p = [1, -2], g1 = [0.5, -1], g2 = [0.1, 0.2].
    // Step 1: p *= 0.999; m = 0.1 g1; v = 0.001 g1^2; m_hat = g1, v_hat = g1^2;
    //   p -= 0.1 * g1 / (|g1| + 1e-8)  ->  [0.999 - 0.1 + 2e-9, -1.998 + 0.1 - 1e-9].
    // Step 2 (textbook form m_hat = m / (1 - b1^2), v_hat = v / (1 - b2^2), evaluated separately):
    AdamWConfig cfg = new AdamWConfig(0.1, 0.9, 0.999, 1e-8, 0.01);
    double[] p = {1.0, -2.0};
    AdamWReference opt = new AdamWReference(2);
    opt.step(p, new double[] {0.5, -1.0}, cfg);
    assertThat(opt.steps()).isEqualTo(1);
    assertThat(p[0]).isCloseTo(0.899000002, within(1e-14));
    assertThat(p[1]).isCloseTo(-1.898000001, within(1e-14));
    assertThat(opt.firstMoment()).containsExactly(new double[] {0.05, -0.1}, within(1e-15));
    assertThat(opt.secondMoment()).containsExactly(new double[] {0.00025, 0.001}, within(1e-15));
    opt.step(p, new double[] {0.1, 0.2}, cfg);
    assertThat(p[0]).isCloseTo(0.8177969063826518, within(1e-13));
    assertThat(p[1]).isCloseTo(-1.8449993939894946, within(1e-13));
    assertThat(opt.firstMoment()).containsExactly(new double[] {0.055, -0.07}, within(1e-15));
    assertThat(opt.secondMoment()).containsExactly(new double[] {0.00025975, 0.001039}, within(1e-15));
  }

  @Test
  void zeroLrLeavesParamsAndDecayIsDecoupled() {
    double[] p = {3.0};
    AdamWReference opt = new AdamWReference(1);
    opt.step(p, new double[] {0.0}, new AdamWConfig(0.5, 0.9, 0.999, 1e-8, 0.1));
    // zero gradient: only the decoupled decay acts, p *= 1 - lr * wd
    assertThat(p[0]).isCloseTo(3.0 * 0.95, within(1e-15));
    opt.step(p, new double[] {7.0}, new AdamWConfig(0.0, 0.9, 0.999, 1e-8, 0.1));
    assertThat(p[0]).isCloseTo(2.85, within(1e-15));
    assertThatThrownBy(() -> opt.step(new double[2], new double[1], AdamWConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
