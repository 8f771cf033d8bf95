package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * A whole training run of any objective over the shared {@link Trainer}: every step logged to
 * {@code metrics.jsonl}, a progress bar, the eval loss (and the objective's metrics) on held-out
 * examples every {@code evalEvery} steps and at the end, early stopping with the best weights kept
 * through {@link #onBest}, and a plot of the curves. Early stopping's state goes into every
 * checkpoint: a resumed run keeps comparing against the best evaluation of the whole run.
 *
 * @param <E> one training example
 */
public final class TrainingLoop<E> {
  /**
   * What a run produced.
   *
   * @param steps the metrics of the steps run now (not those before a resume)
   * @param evals {@code {step, eval loss}} of the evaluations run now
   * @param bestStep the step with the best eval loss (or monitored metric, {@link #withMonitor}) over the
   *     whole run (0 without evaluation)
   * @param stoppedEarly whether early stopping ended the run (now or before a resume)
   */
  public record Result(List<StepMetrics> steps, List<double[]> evals, Path metrics, long bestStep, boolean stoppedEarly) {}

  private static final String STATE_KEY = "early_stopping";
  private final Trainer trainer;
  private final Objective<E, ?> objective;
  private final Path outDir;
  private final String task;
  private List<E> eval = List.of();
  private int evalEvery;
  private EarlyStopping earlyStopping = EarlyStopping.off();
  private LongConsumer onBest = step -> { };
  private Consumer<Boolean> trainingMode = on -> { };
  private Function<CausalLM, List<String>> sampler;
  private String monitor;
  private boolean greaterIsBetter;

  /**
   * @param trainer the engine (its run directory holds the checkpoints)
   * @param outDir where {@code metrics.jsonl} and {@code loss.png} go
   * @param task the progress bar's name ({@code sft}, {@code rm}, ...)
   */
  public TrainingLoop(Trainer trainer, Objective<E, ?> objective, Path outDir, String task) {
    this.trainer = trainer;
    this.objective = objective;
    this.outDir = outDir;
    this.task = task;
  }

  /** Evaluates on {@code examples} every {@code every} steps and at the last step (0: never). */
  public TrainingLoop<E> withEvaluation(List<E> examples, int every) {
    this.eval = examples == null ? List.of() : examples;
    this.evalEvery = every;
    return this;
  }

  /** Stops when the eval loss has not improved for {@code patience} evaluations. */
  public TrainingLoop<E> withEarlyStopping(EarlyStopping rule) {
    this.earlyStopping = rule;
    return this;
  }

  /**
   * Selects the best evaluation (early stopping, {@link #onBest}) by the objective's eval metric {@code
   * metric} instead of the eval loss, as transformers' {@code metric_for_best_model} and {@code
   * greater_is_better} (reward modelling: {@code accuracy}, higher is better). {@code null}: the loss.
   */
  public TrainingLoop<E> withMonitor(String metric, boolean greaterIsBetter) {
    this.monitor = metric;
    this.greaterIsBetter = greaterIsBetter;
    return this;
  }

  /** Called with the step whenever the eval loss reaches a new best of the run (to save the best weights). */
  public TrainingLoop<E> onBest(LongConsumer action) {
    this.onBest = action;
    return this;
  }

  /**
   * Switches dropout on (true) for training and off for evaluation (for LoRA: the adapters' state).
   */
  public TrainingLoop<E> withTrainingMode(Consumer<Boolean> mode) {
    this.trainingMode = mode == null ? on -> { } : mode;
    return this;
  }

  /** Generates a few sample completions at each evaluation (logged with it). */
  public TrainingLoop<E> withSampler(Function<CausalLM, List<String>> sampler) {
    this.sampler = sampler;
    return this;
  }

  /** Trains on {@code train} to {@code maxSteps}, resuming from the newest checkpoint if there is one. */
  public Result run(List<E> train) throws IOException {
    Hooks hooks = new Hooks();
    try {
      trainingMode.accept(true);
      trainer.train(objective, train, hooks);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      trainingMode.accept(false);
      hooks.close();
    }
    if (hooks.stoppedNow) {
      System.err.printf("%nalign4j: early stopping at step %d (best eval %s %.4f at step %d)%n",
          hooks.steps.get(hooks.steps.size() - 1).step(), monitor == null ? "loss" : monitor,
          greaterIsBetter ? -hooks.state.best() : hooks.state.best(), hooks.state.bestStep());
    }
    Path metrics = outDir.resolve("metrics.jsonl");
    CurvePlot.plot(metrics, "loss", "eval_loss", outDir.resolve("loss.png"));
    return new Result(hooks.steps, hooks.evals, metrics, hooks.state.bestStep(), hooks.state.stopped());
  }

  /** The loop's additions to each step; owns the metrics log and the progress bar while the run lasts. */
  private final class Hooks implements TrainingHooks, AutoCloseable {
    final List<StepMetrics> steps = new ArrayList<>();
    final List<double[]> evals = new ArrayList<>();
    EarlyStopping.State state = EarlyStopping.State.initial();
    boolean stoppedNow;
    MetricsLog log;
    Progress bar;

    @Override
    public void onStart(ObjectNode resumed, long resumedStep) {
      state = EarlyStopping.State.fromJson(resumed == null ? null : resumed.get(STATE_KEY));
      try {
        log = new MetricsLog(outDir.resolve("metrics.jsonl"), resumedStep);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      bar = new Progress(task, trainer.config().maxSteps(), resumedStep);
    }

    @Override
    public boolean finished() {
      return state.stopped();
    }

    @Override
    public boolean afterStep(StepMetrics m) {
      steps.add(m);
      try {
        log.step(m, objective.countName());
        bar.update(m);
        long max = trainer.config().maxSteps();
        if (!eval.isEmpty() && evalEvery > 0 && (m.step() % evalEvery == 0 || m.step() == max)) {
          evaluate(m.step());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      stoppedNow = state.stopped();
      return stoppedNow;
    }

    private void evaluate(long step) throws IOException {
      trainingMode.accept(false);
      Evaluation.Result r = Evaluation.run(trainer.model(), objective, eval, trainer.config().microBatchSize());
      List<String> samples = sampler == null ? List.of() : sampler.apply(trainer.model());
      trainingMode.accept(true);
      evals.add(new double[] {step, r.loss()});
      ObjectNode row = new ObjectMapper().createObjectNode();
      row.put("step", step).put("eval_loss", r.loss());
      objective.evalExtras(r.loss()).forEach((k, v) -> row.put("eval_" + k, v));
      for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
        row.put("eval_" + e.getKey(), e.getValue());
      }
      samples.forEach(row.putArray("samples")::add);
      log.write(row);
      double monitored = monitor == null ? r.loss() : r.metrics().getOrDefault(monitor, Double.NaN);
      if (Double.isNaN(monitored)) {
        throw new IllegalStateException("early stopping monitors eval_" + monitor + ", which the objective does not report"
            + " (it reports " + r.metrics().keySet() + ")");
      }
      // EarlyStopping minimises: a metric where greater is better is compared negated
      state = state.after(step, greaterIsBetter ? -monitored : monitored, earlyStopping);
      if (state.bestStep() == step) {
        onBest.accept(step);
      }
    }

    @Override
    public ObjectNode state() {
      ObjectNode n = new ObjectMapper().createObjectNode();
      n.set(STATE_KEY, state.toJson());
      return n;
    }

    @Override
    public void close() throws IOException {
      if (bar != null) {
        bar.close();
      }
      if (log != null) {
        log.close();
      }
    }
  }
}
