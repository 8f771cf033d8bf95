package dev.align4j.peft.train;

import java.util.Locale;
import java.util.function.LongToDoubleFunction;

/**
 * Learning-rate schedules with linear warm-up, as transformers' {@code get_scheduler} defines them
 * (LambdaLR factors on the peak rate, evaluated at the number of optimizer steps already taken).
 *
 * @param type constant, linear decay to 0, or half-cosine decay to 0
 * @param peakLr the rate reached at the end of warm-up
 * @param warmupSteps steps of linear warm-up from 0
 * @param totalSteps the run's length
 */
public record WarmupSchedule(Type type, double peakLr, long warmupSteps, long totalSteps) implements LongToDoubleFunction {
  /** Schedule shapes. */
  public enum Type {
    /** Flat after warm-up. */
    CONSTANT,
    /** Linear decay to 0 at totalSteps. */
    LINEAR,
    /** Half a cosine down to 0 at totalSteps. */
    COSINE;

    /** Parses {@code constant}, {@code linear}, {@code cosine}. */
    public static Type parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT).replace("CONSTANT_WITH_WARMUP", "CONSTANT"));
    }
  }

  /** Validates. */
  public WarmupSchedule {
    if (!(peakLr >= 0) || warmupSteps < 0 || totalSteps <= 0) {
      throw new IllegalArgumentException("lr schedule: need lr >= 0, warmup >= 0, total > 0");
    }
  }

  @Override
  public double applyAsDouble(long step) {
    if (step < warmupSteps) {
      return peakLr * step / Math.max(1, warmupSteps);
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return switch (type) {
      case CONSTANT -> peakLr;
      case LINEAR -> peakLr * Math.max(0, 1 - progress);
      case COSINE -> peakLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    };
  }
}
