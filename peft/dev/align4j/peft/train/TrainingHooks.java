package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a caller of {@link Trainer#train(Objective, java.util.List, TrainingHooks)} adds to the step
 * loop: logging, evaluation, early stopping, and state that must survive a resume.
 */
public interface TrainingHooks {
  /** Called once before the first step with the extra state of the checkpoint resumed from (or null). */
  default void onStart(ObjectNode resumedState, long resumedStep) {}

  /** Whether the run is already over (early stopping restored from a checkpoint); checked before each step. */
  default boolean finished() {
    return false;
  }

  /**
   * Called after every step.
   *
   * @return true to end the run after this step (a checkpoint is written)
   */
  default boolean afterStep(StepMetrics m) {
    return false;
  }

  /** State saved with every checkpoint, handed back to {@link #onStart} on resume; null for none. */
  default ObjectNode state() {
    return null;
  }
}
