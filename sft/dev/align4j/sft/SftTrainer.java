package dev.align4j.sft;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.train.CurvePlot;
import dev.align4j.peft.train.MetricsLog;
import dev.align4j.peft.train.ProgressReporter;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.TokenLoss;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingCheckpoint;
import dev.align4j.peft.train.TrainingExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongToDoubleFunction;

/**
 * Supervised fine-tuning over the shared {@link Trainer}: logs every step to {@code metrics.jsonl},
 * evaluates loss and perplexity on held-out examples every {@code evalEvery} steps, shows a progress
 * bar with ETA and tokens/s, and plots the curves at the end.
 */
public final class SftTrainer {
  /**
   * What a run produced.
   *
   * @param bestStep the step with the lowest eval loss (0 without evaluation)
   * @param stoppedEarly whether early stopping ended the run
   */
  public record Result(List<StepMetrics> steps, List<double[]> evals, Path metrics, long bestStep, boolean stoppedEarly) {}

  /**
   * Early stopping on the eval loss, as transformers' EarlyStoppingCallback.
   *
   * @param patience evaluations without improvement before stopping; 0 disables
   * @param minDelta improvement smaller than this does not count
   */
  public record EarlyStopping(int patience, double minDelta) {
    /** Validates. */
    public EarlyStopping {
      if (patience < 0 || minDelta < 0) {
        throw new IllegalArgumentException("early stopping: patience and threshold must be >= 0");
      }
    }
  }

  private static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super(null, null, false, false);
    }
  }

  private final CausalLM model;
  private final List<Parameter> params;
  private final TrainerConfig cfg;
  private final LongToDoubleFunction lr;
  private final Path outDir;
  private final int evalEvery;
  private final Consumer<Boolean> trainingMode;
  private final java.util.function.Function<CausalLM, List<String>> sampler;
  private EarlyStopping earlyStopping = new EarlyStopping(0, 0);
  private java.util.function.LongConsumer onBest = step -> { };

  /**
   * @param sampler generates a few sample completions at each evaluation (logged), or null
   * @param trainingMode switches dropout on (true) for training and off for evaluation (for LoRA: the
   *     adapters' state); may be null
   */
  public SftTrainer(CausalLM model, List<Parameter> params, TrainerConfig cfg, LongToDoubleFunction lr, Path outDir,
      int evalEvery, java.util.function.Function<CausalLM, List<String>> sampler, Consumer<Boolean> trainingMode) {
    this.sampler = sampler;
    this.model = model;
    this.params = params;
    this.cfg = cfg;
    this.lr = lr;
    this.outDir = outDir;
    this.evalEvery = evalEvery;
    this.trainingMode = trainingMode == null ? on -> { } : trainingMode;
  }

  /** Stops when the eval loss has not improved for {@code patience} evaluations. */
  public SftTrainer withEarlyStopping(EarlyStopping e) {
    this.earlyStopping = e;
    return this;
  }

  /** Called with the step whenever the eval loss reaches a new best (to save the best weights). */
  public SftTrainer onBest(java.util.function.LongConsumer action) {
    this.onBest = action;
    return this;
  }

  /** Mean next-token loss over the targets of {@code examples}, without gradients. */
  public static double evalLoss(CausalLM model, List<TrainingExample> examples, int batch, long padId) {
    double sum = 0;
    long targets = 0;
    for (int i = 0; i < examples.size(); i += batch) {
      List<TrainingExample> chunk = examples.subList(i, Math.min(examples.size(), i + batch));
      try (NDManager s = model.manager().newSubManager()) {
        TokenLoss.Batch b = TokenLoss.collate(s, chunk, padId);
        sum += TokenLoss.sumNll(model, b).toType(DataType.FLOAT64, false).getDouble();
        targets += b.targetCount();
      }
    }
    return targets == 0 ? Double.NaN : sum / targets;
  }

  /** Trains (resuming from a checkpoint in {@code outDir/checkpoints} when there is one). */
  public Result train(List<TrainingExample> train, List<TrainingExample> eval) throws IOException {
    Path ckpt = outDir.resolve("checkpoints");
    long resumed = TrainingCheckpoint.latest(ckpt).map(p -> Long.parseLong(p.getFileName().toString().split("-")[1])).orElse(0L);
    List<double[]> evals = new ArrayList<>();
    double[] best = {Double.POSITIVE_INFINITY, 0, 0};   // loss, step, evaluations since improvement
    boolean[] stopped = {false};
    ObjectMapper json = new ObjectMapper();
    try (MetricsLog log = new MetricsLog(outDir.resolve("metrics.jsonl"), resumed);
        ProgressReporter bar = ProgressReporter.create("sft")) {
      bar.start(resumed, cfg.maxSteps());
      trainingMode.accept(true);
      List<StepMetrics> done = new ArrayList<>();
      try {
        new Trainer(model, params, cfg, lr, ckpt).train(train, m -> {
        done.add(m);
        try {
          log.step(m);
          bar.update(m.step(), cfg.maxSteps(), java.util.Map.of("loss", m.loss(), "lr", m.lr(),
              "tokens_per_second", m.tokensPerSecond(), "grad_norm", m.gradNorm()));
          if (eval != null && !eval.isEmpty() && evalEvery > 0 && (m.step() % evalEvery == 0 || m.step() == cfg.maxSteps())) {
            trainingMode.accept(false);
            double loss = evalLoss(model, eval, cfg.microBatchSize(), cfg.padId());
            List<String> samples = sampler == null ? List.of() : sampler.apply(model);
            trainingMode.accept(true);
            evals.add(new double[] {m.step(), loss});
            ObjectNode row = json.createObjectNode();
            row.put("step", m.step()).put("eval_loss", loss).put("eval_ppl", Math.exp(loss));
            samples.forEach(row.putArray("samples")::add);
            log.write(row);
            if (loss < best[0] - earlyStopping.minDelta()) {
              best[0] = loss;
              best[1] = m.step();
              best[2] = 0;
              onBest.accept(m.step());
            } else if (earlyStopping.patience() > 0 && ++best[2] >= earlyStopping.patience()) {
              throw new Stop();
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        });
      } catch (Stop s) {
        stopped[0] = true;
        System.err.printf("%nalign4j: early stopping at step %d (best eval loss %.4f at step %.0f)%n",
            done.get(done.size() - 1).step(), best[0], best[1]);
      }
      trainingMode.accept(false);
      CurvePlot.plot(log.file(), "loss", "eval_loss", outDir.resolve("loss.png"));
      return new Result(done, evals, log.file(), (long) best[1], stopped[0]);
    }
  }
}
