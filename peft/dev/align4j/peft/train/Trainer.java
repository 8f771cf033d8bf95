package dev.align4j.peft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongToDoubleFunction;

/**
 * The training loop shared by every stage: micro-batches accumulated into an effective batch whose
 * loss is normalised by its total target tokens (exact accumulation by construction), global-norm
 * clipping, fused AdamW, a per-step sub-manager so native memory stays flat, and atomic, resumable
 * checkpoints. A run whose directory holds a checkpoint continues from it and reproduces the
 * uninterrupted run bit for bit: data order and dropout are pure functions of the seed and the step.
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
   * Replaces the stop request polled before each step (default: {@link StopSignal#requested()}, a
   * SIGINT/SIGTERM received by the CLI).
   */
  public Trainer stopWhen(BooleanSupplier stopRequested) {
    this.stopRequested = stopRequested;
    return this;
  }

  /** Whether the last {@link #train} ended early on a stop request (rather than at {@code maxSteps}). */
  public boolean stopped() {
    return stopped;
  }

  /**
   * Trains until {@code maxSteps}, resuming from the newest checkpoint in the run directory if any.
   *
   * @param onStep called after every step (logging, evaluation, early stopping by throwing)
   * @return the metrics of the steps run now; fewer than asked when a stop was requested (see
   *     {@link #stopped()}): the step in flight finishes and, with a run directory, is checkpointed
   */
  public List<StepMetrics> train(List<TrainingExample> data, Consumer<StepMetrics> onStep) throws IOException {
    DataOrder order = new DataOrder(data.size(), cfg.seed());
    List<StepMetrics> out = new ArrayList<>();
    try (StopSignal.Region graceful = StopSignal.graceful();
        AdamW opt = new AdamW(params, model.manager(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay())) {
      long step = 0;
      Optional<Path> resume = runDir == null ? Optional.empty() : TrainingCheckpoint.latest(runDir);
      if (resume.isPresent()) {
        ObjectNode saved = TrainingCheckpoint.load(resume.get(), params, opt);
        requireSameRun(saved, resume.get());
        step = saved.path("step").asLong();
      }
      long onDisk = step;
      stopped = false;
      while (step < cfg.maxSteps()) {
        // a stop request (SIGINT/SIGTERM) is honoured between steps only: no thread is inside libtorch here
        if (stopRequested.getAsBoolean()) {
          if (runDir != null && step != onDisk && StopSignal.checkpointOnStop()) {
            TrainingCheckpoint.save(runDir, step, params, opt, state(step), cfg.keepLast());
          }
          stopped = true;
          break;
        }
        StepMetrics m = step(data, order, opt, step);
        step++;
        out.add(m);
        if (onStep != null) {
          onStep.accept(m);
        }
        boolean last = step == cfg.maxSteps();
        if (runDir != null && (last || (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0))) {
          TrainingCheckpoint.save(runDir, step, params, opt, state(step), cfg.keepLast());
          onDisk = step;
        }
      }
    }
    return out;
  }

  private StepMetrics step(List<TrainingExample> data, DataOrder order, AdamW opt, long step) {
    long t0 = System.nanoTime();
    // dropout draws from the engine's generator: reseed per step so a resumed run draws the same
    Engine.getInstance().setRandomSeed((int) (cfg.seed() * 31 + step));
    List<Integer> idx = order.take(step * cfg.examplesPerStep(), cfg.examplesPerStep());
    List<List<TrainingExample>> micro = new ArrayList<>();
    for (int i = 0; i < cfg.gradAccumSteps(); i++) {
      List<TrainingExample> mb = new ArrayList<>();
      for (int j = 0; j < cfg.microBatchSize(); j++) {
        mb.add(data.get(idx.get(i * cfg.microBatchSize() + j)));
      }
      micro.add(mb);
    }
    long targets = TokenLoss.totalTargets(micro);
    double lossSum = 0;
    long tokens = 0;
    Gradients.zero(params);
    if (targets > 0) {
      for (int k = 0; k < micro.size(); k++) {
        List<TrainingExample> mb = micro.get(k);
        try (NDManager s = model.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          TokenLoss.Batch batch = TokenLoss.collate(s, mb, cfg.padId());
          if (cfg.activationCheckpointing()) {
            lossSum += ActivationCheckpointing.backward(model, batch, 1.0 / targets, (cfg.seed() * 31 + step) * 64 + k);
          } else {
            NDArray sum = TokenLoss.sumNll(model, batch);
            lossSum += sum.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            gc.backward(sum.div(dev.align4j.peft.kernels.Kernels.scalar(sum, targets)));
          }
          for (TrainingExample e : mb) {
            tokens += e.ids().length;
          }
        }
      }
    }
    double norm = targets > 0 ? Gradients.clipGlobalNorm(params, cfg.maxGradNorm()) : 0;
    double rate = lr.applyAsDouble(step);
    if (targets > 0) {
      opt.step(rate);
    } else {
      // a batch with nothing to learn: skip the update (never a NaN loss), say so
      System.err.printf("align4j: warning: step %d has no trainable tokens (all labels masked); update skipped%n", step + 1);
      opt.setSteps(opt.steps() + 1);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    return new StepMetrics(step + 1, targets > 0 ? lossSum / targets : 0.0, rate, norm, targets, tokens / secs);
  }

  /** A checkpoint resumes only the run that wrote it (max_steps may grow); anything else is an error. */
  private void requireSameRun(ObjectNode saved, Path dir) {
    ObjectNode mine = new ObjectMapper().valueToTree(cfg);
    ObjectNode theirs = saved.path("config").isObject() ? ((ObjectNode) saved.get("config")).deepCopy() : null;
    if (theirs != null) {
      theirs.remove("maxSteps");
      mine.remove("maxSteps");
      mine.remove("checkpointEvery");
      theirs.remove("checkpointEvery");
    }
    // compare as text: a long read back from JSON is an int node
    java.util.Comparator<com.fasterxml.jackson.databind.JsonNode> byText =
        (x, y) -> x.asText().equals(y.asText()) ? 0 : 1;
    if (theirs == null || !theirs.equals(byText, mine)) {
      throw new IllegalArgumentException(dir + " was written by a run with another configuration (" + theirs
          + " vs " + mine + "); use a fresh output directory");
    }
  }

  private ObjectNode state(long step) {
    ObjectNode s = new ObjectMapper().createObjectNode();
    s.put("step", step);
    s.put("examples_seen", step * cfg.examplesPerStep());
    s.put("seed", cfg.seed());
    s.set("config", new ObjectMapper().valueToTree(cfg));
    return s;
  }
}
