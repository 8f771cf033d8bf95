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
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop request (what SIGINT/SIGTERM set in the CLI) ends training after the step in flight, with a
 * checkpoint of that step even between {@code save_steps}; rerunning resumes from it and ends where an
 * uninterrupted run ends, bit for bit.
 */
class TrainerStopTest {
  @TempDir Path tmp;

  private record Outcome(List<Double> losses, boolean stopped) {}

  /** Trains to {@code steps}, stopping when {@code stopAfter} says so given the steps done in this call. */
  private static Outcome run(Path dir, long steps, IntPredicate stopAfter) throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", new LoraConfig(4, 8, 0.1, List.of("all-linear"), null, false, false, List.of()), 7);
      TrainerConfig cfg = TrainerConfig.of(steps, 2, 2).withCheckpointEvery(100);
      int[] done = {0};
      Trainer t = new Trainer(model, peft.trainableParameters(), cfg, s -> 3e-3, dir)
          .stopWhen(() -> stopAfter.test(done[0]));
      List<Double> losses = t.train(TrainerTest.data(), x -> done[0]++).stream().map(StepMetrics::loss).toList();
      return new Outcome(losses, t.stopped());
    }
  }

  @Test
  void stopCheckpointsTheLastStepAndTheResumedRunEqualsTheUninterruptedOne() throws IOException {
    Outcome uninterrupted = run(tmp.resolve("full"), 7, n -> false);
    assertThat(uninterrupted.stopped()).isFalse();
    List<Double> full = uninterrupted.losses();

    Path dir = tmp.resolve("stopped");
    Outcome first = run(dir, 7, n -> n >= 3);
    assertThat(first.stopped()).isTrue();
    assertThat(first.losses()).containsExactlyElementsOf(full.subList(0, 3));
    // no save_steps checkpoint was due (every 100): the stop wrote checkpoint-3
    assertThat(TrainingCheckpoint.complete(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("checkpoint-3");

    Outcome second = run(dir, 7, n -> n >= 2);   // resumes at 3, stops again after 5
    assertThat(second.stopped()).isTrue();
    assertThat(second.losses()).containsExactlyElementsOf(full.subList(3, 5));
    Outcome rest = run(dir, 7, n -> false);
    assertThat(rest.stopped()).isFalse();
    assertThat(rest.losses()).containsExactlyElementsOf(full.subList(5, 7));
    assertThat(TrainingCheckpoint.complete(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("checkpoint-5", "checkpoint-7");
  }

  @Test
  void aStopBeforeTheFirstStepRunsNothingAndWritesNothing() throws IOException {
    Path dir = tmp.resolve("early");
    Outcome none = run(dir, 4, n -> true);
    assertThat(none.losses()).isEmpty();
    assertThat(none.stopped()).isTrue();
    assertThat(TrainingCheckpoint.complete(dir)).isEmpty();
  }
}
