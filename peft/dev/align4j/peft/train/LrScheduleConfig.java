package dev.align4j.peft.train;

/**
 * A learning-rate schedule as transformers builds it with {@code get_scheduler}: a {@code LambdaLR} whose
 * factor multiplies {@code peakLr}. {@link #lrAt(long)} takes the number of optimizer steps already taken
 * (LambdaLR's {@code last_epoch}), so {@code lrAt(0)} is the rate of the first update.
 *
 * @param numCycles  cosine periods over the decay phase (transformers default 0.5: one half cosine)
 * @param minLrRatio floor as a fraction of peakLr ({@code min_lr_rate}); COSINE only, 0 otherwise
 */
public record LrScheduleConfig(ScheduleType type, double peakLr, long warmupSteps, long totalSteps,
                 double numCycles, double minLrRatio) {
  public LrScheduleConfig {
    if (type == null) {
      throw new IllegalArgumentException("LrScheduleConfig.type must be given");
    }
    if (!(peakLr >= 0) || Double.isInfinite(peakLr)) {
      throw new IllegalArgumentException("LrScheduleConfig.peakLr must be finite and >= 0, got " + peakLr);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("LrScheduleConfig.warmupSteps must be >= 0, got " + warmupSteps);
    }
    boolean decays = type == ScheduleType.LINEAR || type == ScheduleType.COSINE;
    if (decays && totalSteps <= 0) {
      throw new IllegalArgumentException("LrScheduleConfig.totalSteps must be > 0 for " + type + ", got " + totalSteps);
    }
    if (totalSteps < 0) {
      throw new IllegalArgumentException("LrScheduleConfig.totalSteps must be >= 0, got " + totalSteps);
    }
    if (!(numCycles > 0) || Double.isInfinite(numCycles)) {
      throw new IllegalArgumentException("LrScheduleConfig.numCycles must be finite and > 0, got " + numCycles);
    }
    if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
      throw new IllegalArgumentException("LrScheduleConfig.minLrRatio must be in [0, 1], got " + minLrRatio);
    }
    if (minLrRatio != 0 && type != ScheduleType.COSINE) {
      throw new IllegalArgumentException("LrScheduleConfig.minLrRatio is only defined for COSINE, got "
          + minLrRatio + " for " + type);
    }
  }

  /** transformers' defaults for the other parameters: numCycles 0.5, minLrRatio 0. */
  public static LrScheduleConfig of(ScheduleType type, double peakLr, long warmupSteps, long totalSteps) {
    return new LrScheduleConfig(type, peakLr, warmupSteps, totalSteps, 0.5, 0.0);
  }

  /** The learning rate after {@code step} optimizer steps (the rate used for update number step+1). */
  public double lrAt(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("LrScheduleConfig.lrAt: step must be >= 0, got " + step);
    }
    return peakLr * factor(step);
  }

  /** The LambdaLR multiplier at {@code step}. */
  public double factor(long step) {
    if (type == ScheduleType.CONSTANT) {
      return 1.0;
    }
    if (step < warmupSteps) {
      return (double) step / (double) Math.max(1, warmupSteps);
    }
    return switch (type) {
      case CONSTANT_WITH_WARMUP -> 1.0;
      case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / (double) Math.max(1, totalSteps - warmupSteps));
      case COSINE -> {
        double progress = (double) (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
        double f = 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress));
        if (minLrRatio != 0) {
          f = f * (1 - minLrRatio) + minLrRatio;
        }
        yield Math.max(0.0, f);
      }
      default -> throw new AssertionError(type);
    };
  }
}
