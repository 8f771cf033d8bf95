package dev.align4j.peft.train;

/**
 * How a training run proceeds. Defaults follow transformers' TrainingArguments where it has one.
 *
 * @param maxSteps optimizer steps to reach
 * @param microBatchSize examples per forward/backward
 * @param gradAccumSteps micro-batches per optimizer step (the effective batch is their product)
 * @param maxGradNorm global-norm clipping threshold; 0 disables (default 1.0)
 * @param beta1 AdamW beta1 (0.9)
 * @param beta2 AdamW beta2 (0.999)
 * @param eps AdamW epsilon (1e-8)
 * @param weightDecay decoupled weight decay on matrices (0.0)
 * @param checkpointEvery save a checkpoint every this many steps; 0 only at the end
 * @param keepLast checkpoints to keep (older ones are deleted once a newer one is complete)
 * @param seed governs data order and dropout
 * @param padId id used to pad micro-batches
 * @param activationCheckpointing recompute each decoder layer in backward instead of keeping its
 *     activations (same gradients, less memory, about one more forward of compute)
 */
public record TrainerConfig(
    long maxSteps, int microBatchSize, int gradAccumSteps, double maxGradNorm, double beta1, double beta2,
    double eps, double weightDecay, long checkpointEvery, int keepLast, long seed, long padId,
    boolean activationCheckpointing) {

  /** Validates. */
  public TrainerConfig {
    if (maxSteps <= 0) {
      throw new IllegalArgumentException("max_steps must be > 0, got " + maxSteps);
    }
    if (microBatchSize <= 0 || gradAccumSteps <= 0) {
      throw new IllegalArgumentException("micro batch size and gradient accumulation steps must be > 0");
    }
    if (maxGradNorm < 0 || checkpointEvery < 0 || keepLast <= 0) {
      throw new IllegalArgumentException("max_grad_norm and checkpoint_every must be >= 0, keep_last > 0");
    }
  }

  /** Defaults with the given steps, micro-batch and accumulation. */
  public static TrainerConfig of(long maxSteps, int microBatchSize, int gradAccumSteps) {
    return new TrainerConfig(maxSteps, microBatchSize, gradAccumSteps, 1.0, 0.9, 0.999, 1e-8, 0.0, 0, 2, 42, 0, false);
  }

  /** A copy checkpointing every {@code n} steps. */
  public TrainerConfig withCheckpointEvery(long n) {
    return new TrainerConfig(maxSteps, microBatchSize, gradAccumSteps, maxGradNorm, beta1, beta2, eps, weightDecay,
        n, keepLast, seed, padId, activationCheckpointing);
  }

  /** A copy with another step budget. */
  public TrainerConfig withMaxSteps(long n) {
    return new TrainerConfig(n, microBatchSize, gradAccumSteps, maxGradNorm, beta1, beta2, eps, weightDecay,
        checkpointEvery, keepLast, seed, padId, activationCheckpointing);
  }

  /** A copy with activation checkpointing on or off. */
  public TrainerConfig withActivationCheckpointing(boolean on) {
    return new TrainerConfig(maxSteps, microBatchSize, gradAccumSteps, maxGradNorm, beta1, beta2, eps, weightDecay,
        checkpointEvery, keepLast, seed, padId, on);
  }

  /** Examples consumed by one optimizer step. */
  public int examplesPerStep() {
    return microBatchSize * gradAccumSteps;
  }
}
