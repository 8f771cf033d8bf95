package dev.align4j.sft;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.train.EarlyStopping;
import dev.align4j.peft.train.Evaluation;
import dev.align4j.peft.train.TokenCrossEntropy;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.peft.train.TrainingLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongToDoubleFunction;

/**
 * Supervised fine-tuning: the shared {@link TrainingLoop} with the {@link TokenCrossEntropy}
 * objective, checkpoints in {@code outDir/checkpoints}, eval loss and perplexity every {@code
 * evalEvery} steps.
 */
public final class SftTrainer {
  private final Trainer trainer;
  private final TrainingLoop<TrainingExample> loop;
  private final int evalEvery;

  /**
   * @param sampler generates a few sample completions at each evaluation (logged), or null
   * @param trainingMode switches dropout on (true) for training and off for evaluation (for LoRA: the
   *     adapters' state); may be null
   */
  public SftTrainer(CausalLM model, List<Parameter> params, TrainerConfig cfg, LongToDoubleFunction lr, Path outDir,
      int evalEvery, Function<CausalLM, List<String>> sampler, Consumer<Boolean> trainingMode) {
    this.trainer = new Trainer(model, params, cfg, lr, outDir.resolve("checkpoints"));
    this.loop = new TrainingLoop<>(trainer, new TokenCrossEntropy(cfg.padId()), outDir, "sft")
        .withSampler(sampler).withTrainingMode(trainingMode);
    this.evalEvery = evalEvery;
  }

  /** Stops when the eval loss has not improved for {@code patience} evaluations. */
  public SftTrainer withEarlyStopping(EarlyStopping e) {
    loop.withEarlyStopping(e);
    return this;
  }

  /**
   * Polled after every step: when it answers true the run writes a checkpoint and returns (see
   * {@link Trainer#stopWhen}).
   */
  public SftTrainer stopWhen(BooleanSupplier stopRequested) {
    trainer.stopWhen(stopRequested);
    return this;
  }

  /** Called with the step whenever the eval loss reaches a new best (to save the best weights). */
  public SftTrainer onBest(LongConsumer action) {
    loop.onBest(action);
    return this;
  }

  /** Mean next-token loss over the targets of {@code examples}, without gradients. */
  public static double evalLoss(CausalLM model, List<TrainingExample> examples, int batch, long padId) {
    return Evaluation.run(model, new TokenCrossEntropy(padId), examples, batch).loss();
  }

  /** Trains (resuming from a checkpoint in {@code outDir/checkpoints} when there is one). */
  public TrainingLoop.Result train(List<TrainingExample> train, List<TrainingExample> eval) throws IOException {
    return loop.withEvaluation(eval, evalEvery).run(train);
  }
}
