package dev.align4j.peft.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The median rule and successive halving stop the right trials on synthetic curves. */
class PrunerTest {
  /** A curve reported every {@code every} steps up to {@code last}, with loss {@code start - slope * step}. */
  static Curve line(double start, double slope, long every, long last) {
    int n = (int) (last / every);
    long[] s = new long[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = (i + 1) * every;
      v[i] = start - slope * s[i];
    }
    return new Curve(s, v);
  }

  @Test
  void curveValueAtIsTheLastReportWhenTheTrialGotThatFar() {
    Curve c = new Curve(new long[] {10, 20, 30}, new double[] {3, 2, 1});
    assertThat(c.at(5)).isEmpty();
    assertThat(c.at(10).getAsDouble()).isEqualTo(3);
    assertThat(c.at(25).getAsDouble()).isEqualTo(2);
    assertThat(c.at(30).getAsDouble()).isEqualTo(1);
    assertThat(c.at(31)).isEmpty();
  }

  @Test
  void medianRuleStopsTrialsWorseThanTheMedianAfterWarmup() {
    // completed: losses 3-0.01s, 2-0.01s, 1-0.01s at steps 10..100; median at s: 2 - 0.01 s
    List<Pruner.TrialCurve> done = List.of(new Pruner.TrialCurve(line(3, 0.01, 10, 100), true),
        new Pruner.TrialCurve(line(2, 0.01, 10, 100), true), new Pruner.TrialCurve(line(1, 0.01, 10, 100), true));
    Pruner p = new Pruner.MedianRule(20, 2);
    // 2.5 - 0.01 s is above the median everywhere: stopped at the first report past warm-up (step 20, index 1)
    assertThat(p.firstStop(line(2.5, 0.01, 10, 100), done)).isEqualTo(1);
    // 1.5 - 0.01 s stays below: never stopped
    assertThat(p.firstStop(line(1.5, 0.01, 10, 100), done)).isEqualTo(-1);
    // starts bad, improves fast: 2.6 - 0.02 s crosses the median 2 - 0.01 s at s = 60; bad at 20 already
    assertThat(p.firstStop(line(2.6, 0.02, 10, 100), done)).isEqualTo(1);
    // a trial equal to the median is not worse: continues
    assertThat(p.firstStop(line(2, 0.01, 10, 100), done)).isEqualTo(-1);
    // pruned (not completed) trials do not count; with one completed trial, below min_trials: never stopped
    List<Pruner.TrialCurve> one = List.of(new Pruner.TrialCurve(line(1, 0.01, 10, 100), true),
        new Pruner.TrialCurve(line(0, 0.01, 10, 30), false));
    assertThat(p.firstStop(line(5, 0.01, 10, 100), one)).isEqualTo(-1);
    // the median uses each completed trial's last report at or before s (other cadences)
    List<Pruner.TrialCurve> coarse = List.of(new Pruner.TrialCurve(line(3, 0.01, 50, 100), true),
        new Pruner.TrialCurve(line(1, 0.01, 50, 100), true));
    // at s = 60: values 3-0.5 = 2.5 and 1-0.5 = 0.5 (reports at 50), median 1.5; at s <= 40 no completed value
    Curve mine = new Curve(new long[] {40, 60}, new double[] {9, 1.6});
    assertThat(p.firstStop(mine, coarse)).isEqualTo(1);
    assertThat(Pruner.median(1, 5, 2, 4)).isEqualTo(3.0);
  }

  @Test
  void successiveHalvingKeepsTheTopThirdAtEachRung() {
    Pruner p = new Pruner.SuccessiveHalving(10, 3);   // rungs 10, 30, 90
    List<Pruner.TrialCurve> prev = new ArrayList<>();
    // trial 0 always continues (alone at every rung)
    Curve t0 = line(2, 0.01, 10, 90);
    assertThat(p.firstStop(t0, prev)).isEqualTo(-1);
    prev.add(new Pruner.TrialCurve(t0, true));
    // trial 1, worse than trial 0 at rung 10: n = 2, keep ceil(2/3) = 1, one better -> stopped at step 10
    Curve t1 = line(3, 0.01, 10, 90);
    assertThat(p.firstStop(t1, prev)).isEqualTo(0);
    prev.add(new Pruner.TrialCurve(t1.prefix(1), false));
    // trial 2, best at rung 10 but worse than trial 0 at rung 30 (only trial 0 reached it): n = 2, stopped at step 30
    Curve t2 = new Curve(new long[] {10, 20, 30, 40}, new double[] {1.0, 1.9, 1.8, 1.0});
    assertThat(p.firstStop(t2, prev)).isEqualTo(2);
    prev.add(new Pruner.TrialCurve(t2.prefix(3), false));
    // trial 3: at rung 10 the values are 1.9, 2.9, 1.0 and its own 1.5: n = 4, keep 2, one better -> continues;
    // at rung 30 (trial 0: 1.7, trial 2: 1.8) its 1.2 is the best -> continues; rung 90 only trial 0 (1.1): 0.3 wins
    Curve t3 = line(1.6, 0.01, 10, 90);
    assertThat(p.firstStop(t3, prev)).isEqualTo(-1);
    // a trial third of five at rung 10 (two better, n = 5, keep ceil(5/3) = 2) is stopped there
    prev.add(new Pruner.TrialCurve(t3, true));
    Curve t4 = new Curve(new long[] {10}, new double[] {1.85});
    assertThat(p.stop(t4, prev)).isTrue();
    assertThat(new Pruner.None().firstStop(line(99, 0, 10, 50), prev)).isEqualTo(-1);
  }
}
