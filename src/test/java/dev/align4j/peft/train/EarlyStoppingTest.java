package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
  @Test
  void stopsAfterPatienceEvaluationsWithoutAnImprovementLargerThanMinDelta() {
    EarlyStopping rule = new EarlyStopping(2, 0.1);
    EarlyStopping.State s = EarlyStopping.State.initial()
        .after(1, 2.0, rule)       // first evaluation: best
        .after(2, 1.95, rule);     // better, but by less than min delta
    assertThat(s.bestStep()).isEqualTo(1);
    assertThat(s.sinceImprovement()).isEqualTo(1);
    assertThat(s.stopped()).isFalse();
    s = s.after(3, 1.8, rule);     // a real improvement resets the count
    assertThat(s).isEqualTo(new EarlyStopping.State(1.8, 3, 0, false));
    s = s.after(4, 1.9, rule).after(5, 1.85, rule);
    assertThat(s).isEqualTo(new EarlyStopping.State(1.8, 3, 2, true));
  }

  @Test
  void patienceZeroTracksTheBestButNeverStops() {
    EarlyStopping.State s = EarlyStopping.State.initial();
    for (int i = 1; i <= 20; i++) {
      s = s.after(i, i == 4 ? 0.5 : 1.0, EarlyStopping.off());
    }
    assertThat(s.bestStep()).isEqualTo(4);
    assertThat(s.stopped()).isFalse();
  }

  @Test
  void stateRoundTripsThroughJsonAlsoBeforeTheFirstEvaluation() {
    EarlyStopping.State s = new EarlyStopping.State(0.123456789, 7, 2, false);
    assertThat(EarlyStopping.State.fromJson(s.toJson())).isEqualTo(s);
    assertThat(EarlyStopping.State.fromJson(EarlyStopping.State.initial().toJson()))
        .isEqualTo(EarlyStopping.State.initial());
    assertThat(EarlyStopping.State.fromJson(null)).isEqualTo(EarlyStopping.State.initial());
  }
}
