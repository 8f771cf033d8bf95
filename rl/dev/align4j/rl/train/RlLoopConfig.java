package dev.align4j.rl.train;

import dev.align4j.rl.kl.KlController;

/**
 * The rollout-and-update schedule.
 *
 * @param promptsPerRollout prompts sampled per rollout (rows: times {@code numGenerations})
 * @param epochs passes over each rollout ({@code ppo_epochs}, TRL's {@code num_iterations})
 * @param miniBatches optimizer steps per pass ({@code num_mini_batches}); the rollout's rows are
 *     shuffled and split evenly (with {@code gradAccumSteps > 1}, the steps per pass follow from it)
 * @param microBatchSize rows per forward/backward within a minibatch (gradient accumulation is exact)
 * @param kl the KL controller's initial state (PPO's reward penalty; saved in checkpoints)
 * @param missingEosPenalty subtracted from the score of a completion that did not end with EOS
 * @param klStopLimit stop the remaining passes over a rollout once a step's {@code policy/approxkl}
 *     exceeds this; NaN for never
 * @param saveSteps checkpoint after the rollout during which a multiple of this many steps was
 *     reached (0: at the end only); checkpoints fall between rollouts
 * @param seed prompt order, minibatch shuffles and sampling
 * @param gradAccumSteps {@code gradient_accumulation_steps}: 1 keeps {@code miniBatches} steps per pass;
 *     above 1, each optimizer step takes this many micro-batches of {@code microBatchSize} shuffled rows
 *     (TRL's effective batch {@code per_device_train_batch_size * gradient_accumulation_steps}), so a
 *     pass is {@code rows / (microBatchSize * gradAccumSteps)} steps, the last one short if it does not
 *     divide; the losses are normalised over each step's whole batch, so this equals one micro-batch
 *     of {@code microBatchSize * gradAccumSteps} rows
 */
public record RlLoopConfig(int promptsPerRollout, int epochs, int miniBatches, int microBatchSize, KlController kl,
    double missingEosPenalty, double klStopLimit, long saveSteps, long seed, int gradAccumSteps) {

  /** Without gradient accumulation steps: {@code miniBatches} steps per pass. */
  public RlLoopConfig(int promptsPerRollout, int epochs, int miniBatches, int microBatchSize, KlController kl,
      double missingEosPenalty, double klStopLimit, long saveSteps, long seed) {
    this(promptsPerRollout, epochs, miniBatches, microBatchSize, kl, missingEosPenalty, klStopLimit, saveSteps, seed, 1);
  }

  /** Validates. */
  public RlLoopConfig {
    if (promptsPerRollout < 1 || epochs < 1 || miniBatches < 1 || microBatchSize < 1) {
      throw new IllegalArgumentException("prompts per rollout, epochs, mini-batches and micro-batch size must be >= 1,"
          + " got " + promptsPerRollout + ", " + epochs + ", " + miniBatches + ", " + microBatchSize);
    }
    if (gradAccumSteps < 1) {
      throw new IllegalArgumentException("gradient_accumulation_steps must be >= 1, got " + gradAccumSteps);
    }
    if (saveSteps < 0) {
      throw new IllegalArgumentException("save_steps must be >= 0, got " + saveSteps);
    }
    if (kl == null) {
      throw new IllegalArgumentException("a KL controller is required (fixed 0 for none)");
    }
  }

  /** Optimizer steps per pass over a rollout of {@code rows} rows. */
  public int stepsPerPass(int rows) {
    return gradAccumSteps > 1 ? Math.max(1, (rows + rowsPerStep(rows) - 1) / rowsPerStep(rows)) : miniBatches;
  }

  /**
   * Whether a rollout of {@code rows} rows feeds exactly one optimizer step (one pass, one step per
   * pass), so that the policy of that step is the one that sampled the rollout.
   */
  public boolean oneStepPerRollout(int rows) {
    return epochs == 1 && stepsPerPass(rows) == 1;
  }

  /** Rows of each optimizer step over a rollout of {@code rows} rows (the last step takes the rest). */
  public int rowsPerStep(int rows) {
    return gradAccumSteps > 1 ? microBatchSize * gradAccumSteps : Math.max(1, rows / miniBatches);
  }
}
