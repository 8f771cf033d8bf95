package dev.align4j.peft.train;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongToDoubleFunction;

/**
 * The training engine shared by every stage, generic over an {@link Objective}: micro-batches
 * accumulated into an effective batch whose loss is normalised by its total count (exact
 * accumulation by construction), global-norm clipping, fused AdamW, a per-step sub-manager so
 * native memory stays flat, activation checkpointing, and atomic, resumable checkpoints. A run whose
 * directory holds a checkpoint continues from it and reproduces the uninterrupted run bit for bit:
 * data order and dropout are pure functions of the seed and the step.
 *
 * <p>{@link #train(Objective, List, TrainingHooks)} runs a fixed dataset to {@code maxSteps};
 * {@link #open} gives a {@link TrainingSession} for callers that make their data between steps.
 */
public final class Trainer {
  private final CausalLM model;
  private final List<Parameter> params;
  private final TrainerConfig cfg;
  private final LongToDoubleFunction lr;
  private final Path runDir;
  private BooleanSupplier stopRequested = StopSignal::requested;
  private boolean stopped;

  /**
   * @param model the model (its forward includes active adapters)
   * @param params the parameters to train (already marked trainable)
   * @param lr learning rate for an optimizer step, given the steps already taken
   * @param runDir where checkpoints go; null for none
   */
  public Trainer(CausalLM model, List<Parameter> params, TrainerConfig cfg, LongToDoubleFunction lr, Path runDir) {
    this.model = model;
    this.params = List.copyOf(params);
    this.cfg = cfg;
    this.lr = lr;
    this.runDir = runDir;
  }

  /**
   * Replaces the stop request (default: {@link StopSignal#requested()}, a SIGINT/SIGTERM received by
   * the CLI), polled between steps: when it answers true the step in flight finishes, a checkpoint of
   * it is written (with a run directory, unless {@link StopSignal#checkpointOnStop()} says no) and the
   * run returns with {@link #stopped()} set.
   */
  public Trainer stopWhen(BooleanSupplier stopRequested) {
    this.stopRequested = stopRequested;
    return this;
  }

  /** Whether the last {@link #train} ended early on a stop request (rather than at {@code maxSteps}). */
  public boolean stopped() {
    return stopped;
  }

  /** The configuration. */
  public TrainerConfig config() {
    return cfg;
  }

  /** The model trained. */
  public CausalLM model() {
    return model;
  }

  /**
   * Opens a step-driven session for {@code objective}, resuming weights, optimizer state and step
   * from the newest checkpoint in the run directory if there is one.
   */
  public <E, B> TrainingSession<E, B> open(Objective<E, B> objective) throws IOException {
    return new TrainingSession<>(model, params, cfg, lr, runDir, objective);
  }

  /**
   * Token cross-entropy over {@link TrainingExample}s (SFT, pre-training) until {@code maxSteps},
   * resuming from the newest checkpoint in the run directory if any.
   *
   * @param onStep called after every step (may be null)
   * @return the metrics of the steps run now
   */
  public List<StepMetrics> train(List<TrainingExample> data, Consumer<StepMetrics> onStep) throws IOException {
    return train(new TokenCrossEntropy(cfg.padId()), data, new TrainingHooks() {
      @Override
      public boolean afterStep(StepMetrics m) {
        if (onStep != null) {
          onStep.accept(m);
        }
        return false;
      }
    });
  }

  /**
   * Trains {@code objective} over {@code data} until {@code maxSteps}, resuming from the newest
   * checkpoint in the run directory if any; checkpoints every {@code checkpointEvery} steps, at the
   * last step, and whenever the run ends early (hooks, stop request).
   *
   * @return the metrics of the steps run now
   */
  public <E> List<StepMetrics> train(Objective<E, ?> objective, List<E> data, TrainingHooks hooks) throws IOException {
    List<StepMetrics> out = new ArrayList<>();
    stopped = false;
    // inside the graceful region a SIGINT/SIGTERM only records a request: no exit while libtorch runs
    try (StopSignal.Region graceful = StopSignal.graceful();
        TrainingSession<E, ?> session = open(objective)) {
      hooks.onStart(session.resumedState().orElse(null), session.steps());
      long onDisk = session.steps();
      while (session.steps() < cfg.maxSteps() && !hooks.finished()) {
        // the one place a stop request (SIGINT/SIGTERM) ends a run: between steps, when no thread is in
        // libtorch; the steps since the last checkpoint are saved first
        if (stopRequested.getAsBoolean()) {
          if (session.checkpoints() && session.steps() != onDisk && StopSignal.checkpointOnStop()) {
            session.checkpoint(hooks.state());
          }
          stopped = true;
          break;
        }
        StepMetrics m = session.step(session.nextMicroBatches(data));
        out.add(m);
        boolean end = hooks.afterStep(m);
        long step = session.steps();
        boolean due = step == cfg.maxSteps() || (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0);
        if (session.checkpoints() && (due || end)) {
          session.checkpoint(hooks.state());
          onDisk = step;
        }
        if (end) {
          break;
        }
      }
    }
    return out;
  }
}
