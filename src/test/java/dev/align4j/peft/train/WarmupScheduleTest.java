package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-computed values of transformers' schedules (peak 1e-3, warmup 10, total 110). */
class WarmupScheduleTest {
  @Test
  void matchesTransformers() {
    WarmupSchedule cos = new WarmupSchedule(WarmupSchedule.Type.COSINE, 1e-3, 10, 110);
    assertThat(cos.applyAsDouble(0)).isEqualTo(0.0);
    assertThat(cos.applyAsDouble(5)).isCloseTo(5e-4, within(1e-15));
    assertThat(cos.applyAsDouble(10)).isCloseTo(1e-3, within(1e-15));
    assertThat(cos.applyAsDouble(60)).isCloseTo(5e-4, within(1e-15));          // halfway: cos(pi/2) = 0
    assertThat(cos.applyAsDouble(35)).isCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), within(1e-15));
    assertThat(cos.applyAsDouble(110)).isCloseTo(0.0, within(1e-15));
    WarmupSchedule lin = new WarmupSchedule(WarmupSchedule.Type.LINEAR, 1e-3, 10, 110);
    assertThat(lin.applyAsDouble(60)).isCloseTo(5e-4, within(1e-15));
    assertThat(lin.applyAsDouble(200)).isEqualTo(0.0);
    assertThat(new WarmupSchedule(WarmupSchedule.Type.parse("constant_with_warmup"), 2e-4, 0, 5).applyAsDouble(3)).isEqualTo(2e-4);
  }
}
