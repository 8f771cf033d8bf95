package dev.align4j.peft.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Early stopping of bad trials. Asked after each intermediate report of a running trial with its
 * curve so far and the curves of the trials before it; a pure function of those, so the decision
 * does not depend on timing and a search replays identically.
 */
public sealed interface Pruner permits Pruner.None, Pruner.MedianRule, Pruner.SuccessiveHalving {
  /** Whether the trial with curve {@code own} (its last report just arrived) should stop. */
  boolean stop(Curve own, List<TrialCurve> previous);

  /**
   * The first report at which the trial stops, or -1: the replay of {@link #stop} over a whole curve,
   * report by report.
   */
  default int firstStop(Curve own, List<TrialCurve> previous) {
    for (int i = 1; i <= own.size(); i++) {
      if (stop(own.prefix(i), previous)) {
        return i - 1;
      }
    }
    return -1;
  }

  /**
   * A previous trial's curve.
   *
   * @param completed whether it ran to the end (not stopped early, not failed)
   */
  record TrialCurve(Curve curve, boolean completed) {}

  /** Never stops a trial. */
  record None() implements Pruner {
    @Override
    public boolean stop(Curve own, List<TrialCurve> previous) {
      return false;
    }
  }

  /**
   * The median stopping rule (Golovin et al. 2017, Google Vizier): from step {@code warmupSteps} on,
   * stop a trial whose objective at its latest step {@code s} is worse than the median of the
   * completed trials' objectives at {@code s} (each trial's last report at or before {@code s}),
   * once at least {@code minTrials} completed trials reached {@code s}.
   */
  record MedianRule(long warmupSteps, int minTrials) implements Pruner {
    /** Checks the settings. */
    public MedianRule {
      if (warmupSteps < 0 || minTrials < 1) {
        throw new IllegalArgumentException("median rule needs warmup_steps >= 0 and min_trials >= 1");
      }
    }

    @Override
    public boolean stop(Curve own, List<TrialCurve> previous) {
      if (own.size() == 0) {
        return false;
      }
      long s = own.lastStep();
      if (s < warmupSteps) {
        return false;
      }
      List<Double> at = new ArrayList<>();
      for (TrialCurve t : previous) {
        if (t.completed()) {
          t.curve().at(s).ifPresent(at::add);
        }
      }
      if (at.size() < minTrials) {
        return false;
      }
      return own.losses()[own.size() - 1] > median(at);
    }
  }

  /**
   * Asynchronous successive halving (Li et al. 2020, ASHA) over rungs at steps {@code minSteps *
   * eta^k}: at each rung the trial has passed, its value there is ranked among the values of every
   * trial that reached the rung (itself included, {@code n} in all), and it continues only while it is
   * among the best {@code ceil(n / eta)}: the first trial always continues, and the top {@code 1/eta}
   * move on as more arrive.
   */
  record SuccessiveHalving(long minSteps, int eta) implements Pruner {
    /** Checks the settings. */
    public SuccessiveHalving {
      if (minSteps < 1 || eta < 2) {
        throw new IllegalArgumentException("successive halving needs min_steps >= 1 and eta >= 2");
      }
    }

    @Override
    public boolean stop(Curve own, List<TrialCurve> previous) {
      for (long rung = minSteps; rung <= own.lastStep(); rung = Math.multiplyExact(rung, eta)) {
        OptionalDouble mine = own.at(rung);
        if (mine.isEmpty()) {
          continue;
        }
        int n = 1;
        int better = 0;
        for (TrialCurve t : previous) {
          OptionalDouble v = t.curve().at(rung);
          if (v.isPresent()) {
            n++;
            if (v.getAsDouble() < mine.getAsDouble()) {
              better++;
            }
          }
        }
        int keep = (n + eta - 1) / eta;
        if (better >= keep) {
          return true;
        }
      }
      return false;
    }
  }

  /** The median (the mean of the two middle values for an even count). */
  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  /** For tests and reports: the median of an array. */
  static double median(double... values) {
    return median(Arrays.stream(values).boxed().toList());
  }
}
