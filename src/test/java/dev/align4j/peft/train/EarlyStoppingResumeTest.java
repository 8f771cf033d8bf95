package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early stopping's state (best eval loss, its step, evaluations since) survives a resume: before it
 * was checkpointed, the first evaluation after a resume always became the "best" and overwrote
 * {@code best/}, even when it was worse than the best before the interruption.
 */
class EarlyStoppingResumeTest {
  @TempDir Path tmp;

  /** The learning rate jumps after step 3, so the eval loss gets worse after its best at step 3. */
  private static double lr(long stepsTaken) {
    return stepsTaken < 3 ? 1e-2 : 0.5;
  }

  private record Run(TrainingLoop.Result result, List<Long> bestCalls) {}

  private static Run run(Path out, long steps, EarlyStopping rule) throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
      TrainerConfig cfg = TrainerConfig.of(steps, 2, 1).withCheckpointEvery(1);
      Trainer trainer = new Trainer(model, peft.trainableParameters(), cfg, EarlyStoppingResumeTest::lr,
          out.resolve("checkpoints"));
      List<Long> best = new ArrayList<>();
      List<TrainingExample> data = TrainerTest.data();
      TrainingLoop.Result r = new TrainingLoop<>(trainer, new TokenCrossEntropy(0), out, "test")
          .withEvaluation(data.subList(0, 4), 1).withEarlyStopping(rule).onBest(best::add).run(data);
      return new Run(r, best);
    }
  }

  @Test
  void bestEvaluationSurvivesAResume() throws IOException {
    EarlyStopping patient = new EarlyStopping(10, 0);
    Run full = run(tmp.resolve("full"), 6, patient);
    List<Double> evals = full.result().evals().stream().map(e -> e[1]).toList();
    // the premise: the best is at step 3 and every later evaluation is worse
    assertThat(full.result().bestStep()).isEqualTo(3);
    assertThat(full.bestCalls()).containsExactly(1L, 2L, 3L);
    assertThat(evals.subList(3, 6)).allSatisfy(e -> assertThat(e).isGreaterThan(evals.get(2)));

    Path out = tmp.resolve("resumed");
    Run first = run(out, 3, patient);
    Run rest = run(out, 6, patient);
    assertThat(first.bestCalls()).containsExactly(1L, 2L, 3L);
    assertThat(rest.result().evals().stream().map(e -> e[1]).toList()).containsExactlyElementsOf(evals.subList(3, 6));
    assertThat(rest.bestCalls()).as("no new best after the resume: step 4 is worse than step 3").isEmpty();
    assertThat(rest.result().bestStep()).isEqualTo(3);
  }

  @Test
  void anEarlyStoppedRunStaysStoppedWhenRerun() throws IOException {
    EarlyStopping rule = new EarlyStopping(2, 0);
    Path out = tmp.resolve("stopped");
    Run stopped = run(out, 8, rule);
    assertThat(stopped.result().stoppedEarly()).isTrue();
    assertThat(stopped.result().steps()).hasSize(5);    // best at 3, no improvement at 4 and 5
    Run again = run(out, 8, rule);
    assertThat(again.result().steps()).isEmpty();
    assertThat(again.result().stoppedEarly()).isTrue();
    assertThat(again.result().bestStep()).isEqualTo(3);
    assertThat(again.bestCalls()).isEmpty();
  }
}
