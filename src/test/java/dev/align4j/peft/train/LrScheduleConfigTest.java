package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-computed values of transformers' schedules, peak 2.0, 10 warm-up steps, 110 total. */
class LrScheduleConfigTest {
  private static final double TOL = 1e-12;

  @Test
  void linear() {
    LrScheduleConfig s = LrScheduleConfig.of(ScheduleType.LINEAR, 2.0, 10, 110);
    assertThat(s.lrAt(0)).isEqualTo(0.0);          // 0 / 10
    assertThat(s.lrAt(5)).isCloseTo(1.0, within(TOL));  // 5 / 10
    assertThat(s.lrAt(9)).isCloseTo(1.8, within(TOL));  // 9 / 10
    assertThat(s.lrAt(10)).isCloseTo(2.0, within(TOL)); // (110-10)/100
    assertThat(s.lrAt(60)).isCloseTo(1.0, within(TOL)); // 50/100
    assertThat(s.lrAt(109)).isCloseTo(0.02, within(TOL));
    assertThat(s.lrAt(110)).isEqualTo(0.0);
    assertThat(s.lrAt(500)).isEqualTo(0.0);          // clamped at 0
    assertThat(LrScheduleConfig.of(ScheduleType.LINEAR, 2.0, 0, 110).lrAt(0)).isEqualTo(2.0);
  }

  @Test
  void cosine() {
    LrScheduleConfig s = LrScheduleConfig.of(ScheduleType.COSINE, 2.0, 10, 110);
    assertThat(s.lrAt(5)).isCloseTo(1.0, within(TOL));
    assertThat(s.lrAt(10)).isCloseTo(2.0, within(TOL));
    assertThat(s.lrAt(35)).isCloseTo(1.0 + Math.sqrt(0.5), within(TOL)); // 0.5 (1 + cos(pi/4)) * 2
    assertThat(s.lrAt(60)).isCloseTo(1.0, within(TOL));                  // cos(pi/2) = 0
    assertThat(s.lrAt(110)).isCloseTo(0.0, within(TOL));
    // transformers does not clamp progress: past the end the half cosine rises again
    assertThat(s.lrAt(160)).isCloseTo(1.0, within(TOL));
    LrScheduleConfig floor = new LrScheduleConfig(ScheduleType.COSINE, 2.0, 10, 110, 0.5, 0.1);
    assertThat(floor.lrAt(60)).isCloseTo(1.1, within(TOL));  // (0.5 * 0.9 + 0.1) * 2
    assertThat(floor.lrAt(110)).isCloseTo(0.2, within(TOL)); // min_lr_rate * peak
    assertThat(floor.lrAt(5)).isCloseTo(1.0, within(TOL));   // warm-up ignores the floor
    LrScheduleConfig full = new LrScheduleConfig(ScheduleType.COSINE, 2.0, 0, 100, 1.0, 0.0);
    assertThat(full.lrAt(50)).isCloseTo(0.0, within(TOL));   // one full period: minimum half way
    assertThat(full.lrAt(100)).isCloseTo(2.0, within(TOL));
  }

  @Test
  void constantSchedules() {
    LrScheduleConfig c = LrScheduleConfig.of(ScheduleType.CONSTANT, 2.0, 10, 0);
    assertThat(c.lrAt(0)).isEqualTo(2.0); // CONSTANT ignores warm-up, as get_constant_schedule does
    LrScheduleConfig w = LrScheduleConfig.of(ScheduleType.CONSTANT_WITH_WARMUP, 2.0, 10, 0);
    assertThat(w.lrAt(0)).isEqualTo(0.0);
    assertThat(w.lrAt(5)).isCloseTo(1.0, within(TOL));
    assertThat(w.lrAt(10)).isEqualTo(2.0);
    assertThat(w.lrAt(1_000_000)).isEqualTo(2.0);
  }

  @Test
  void validation() {
    assertThatThrownBy(() -> LrScheduleConfig.of(ScheduleType.LINEAR, 1e-4, -1, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmupSteps");
    assertThatThrownBy(() -> LrScheduleConfig.of(ScheduleType.COSINE, 1e-4, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("totalSteps");
    assertThatThrownBy(() -> new LrScheduleConfig(ScheduleType.LINEAR, 1e-4, 0, 10, 0.5, 0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minLrRatio");
    assertThatThrownBy(() -> LrScheduleConfig.of(ScheduleType.LINEAR, Double.NaN, 0, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peakLr");
    assertThatThrownBy(() -> LrScheduleConfig.of(ScheduleType.LINEAR, 1, 0, 10).lrAt(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
