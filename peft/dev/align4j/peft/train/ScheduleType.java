package dev.align4j.peft.train;

/** Learning-rate schedules of transformers' {@code get_scheduler} that align4j supports. */
public enum ScheduleType {
    /** {@code get_constant_schedule}: factor 1. */
    CONSTANT,
    /** {@code get_constant_schedule_with_warmup}: linear warm-up, then 1. */
    CONSTANT_WITH_WARMUP,
    /** {@code get_linear_schedule_with_warmup}: linear warm-up, then linear decay to 0 at totalSteps. */
    LINEAR,
    /**
     * {@code get_cosine_schedule_with_warmup} (and {@code get_cosine_with_min_lr_schedule_with_warmup}
     * when minLrRatio &gt; 0): linear warm-up, then a cosine of numCycles periods.
     */
    COSINE
}
