package dev.align4j.reward;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.train.EarlyStopping;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reward-model training through the engine's {@link TrainingLoop}: evaluation logs the objective's
 * metrics as {@code eval_*}, and the best step (best/ and early stopping) follows the monitored metric:
 * the first step with the highest eval accuracy, or the lowest eval loss by default.
 */
class RewardTrainingLoopTest {
  @TempDir Path tmp;

  /** The eval rows of a 6-step run evaluated every step, and the best step the loop reported. */
  List<JsonNode> run(Path out, String monitor, long[] best) {
    List<RewardPair> data = RewardObjectiveTest.pairs(false);
    return RewardObjectiveTest.withModel((model, peft) -> {
      try {
        RewardObjective obj = new RewardObjective(peft.scoreHead("default"), 0, new BradleyTerry(0));
        Trainer t = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(6, 4, 1), x -> 3e-2, null);
        TrainingLoop.Result r = new TrainingLoop<>(t, obj, out, "rm").withEvaluation(data.subList(4, 8), 1)
            .withEarlyStopping(new EarlyStopping(0, 0)).withMonitor(monitor, monitor != null).run(data.subList(0, 4));
        best[0] = r.bestStep();
        List<JsonNode> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) {
          JsonNode n = json.readTree(l);
          if (n.has("eval_loss")) {
            rows.add(n);
          }
        }
        return rows;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Test
  void theBestStepFollowsTheMonitoredMetric() {
    long[] best = new long[1];
    List<JsonNode> rows = run(tmp.resolve("acc"), "accuracy", best);
    assertThat(rows).hasSize(6);
    long want = 0;
    double top = -1;
    for (JsonNode n : rows) {
      assertThat(n.has("eval_accuracy") && n.has("eval_margin") && n.has("eval_chosen_reward")).isTrue();
      if (n.get("eval_accuracy").asDouble() > top) {
        top = n.get("eval_accuracy").asDouble();
        want = n.get("step").asLong();
      }
    }
    assertThat(best[0]).isEqualTo(want);

    List<JsonNode> byLoss = run(tmp.resolve("loss"), null, best);
    long wantLoss = 0;
    double low = Double.POSITIVE_INFINITY;
    for (JsonNode n : byLoss) {
      if (n.get("eval_loss").asDouble() < low) {
        low = n.get("eval_loss").asDouble();
        wantLoss = n.get("step").asLong();
      }
    }
    assertThat(best[0]).isEqualTo(wantLoss);
  }
}
