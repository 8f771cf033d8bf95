package dev.align4j.reward;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Evaluation;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The Bradley-Terry objective: its loss and metrics equal a hand computation from each sequence
 * scored alone (float64), with margins and reward centering; it is stable where the naive formula
 * overflows; and it trains through the engine with exact gradient accumulation and activation
 * checkpointing (1 x 8 == 8 x 1 == 2 + 6 == checkpointed).
 */
class RewardObjectiveTest {
  static final long PAD = 0;

  static List<RewardPair> pairs(boolean margins) {
    SplittableRandom r = new SplittableRandom(11);
    List<RewardPair> out = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      long[] c = new long[3 + r.nextInt(6)];
      long[] x = new long[2 + r.nextInt(7)];
      for (int j = 0; j < c.length; j++) {
        c[j] = 1 + r.nextInt(60);
      }
      for (int j = 0; j < x.length; j++) {
        x[j] = 1 + r.nextInt(60);
      }
      out.add(new RewardPair(c, x, margins ? r.nextDouble() - 0.3 : 0));
    }
    return out;
  }

  /** A float64 Qwen2-shaped model with LoRA and a score head (same weights every call). */
  static <T> T withModel(BiFunction<CausalLM, PeftModel, T> body) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT64))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
      peft.addScoreHead("default", 1, 9);
      return body.apply(model, peft);
    }
  }

  @Test
  void lossAndMetricsEqualAHandComputation() {
    for (double coef : new double[] {0, 0.01}) {
      List<RewardPair> data = pairs(true);
      double[] got = withModel((model, peft) -> {
        ScoreHead head = peft.scoreHead("default");
        RewardObjective obj = new RewardObjective(head, PAD, new BradleyTerry(coef));
        Evaluation.Result r = Evaluation.run(model, obj, data, 3);
        RewardModel rm = RewardModel.of(model, head, PAD);
        double loss = 0;
        double acc = 0;
        double margin = 0;
        double mean = 0;
        double chosen = 0;
        for (RewardPair p : data) {
          double rc = rm.score(List.of(p.chosen()), 1)[0];
          double rr = rm.score(List.of(p.rejected()), 1)[0];
          double x = rc - rr - p.margin();
          loss += Math.log1p(Math.exp(-x)) + coef * (rc + rr) * (rc + rr);
          acc += rc > rr ? 1 : 0;
          margin += rc - rr;
          mean += (rc + rr) / 2;
          chosen += rc;
        }
        int n = data.size();
        Map<String, Double> mt = r.metrics();
        return new double[] {r.loss(), loss / n, mt.get("accuracy"), acc / n, mt.get("margin"), margin / n,
            mt.get("mean_reward"), mean / n, mt.get("chosen_reward"), chosen / n,
            mt.get("rejected_reward"), (chosen - margin) / n};
      });
      for (int i = 0; i < got.length; i += 2) {
        assertThat(got[i]).as("coef " + coef + " item " + i / 2).isCloseTo(got[i + 1], Offset.offset(1e-12));
      }
      assertThat(got[3]).isBetween(0.01, 0.99);   // the pairs are not all won or all lost
    }
  }

  @Test
  void stableForLargeRewardGaps() {
    try (NDManager m = Torch.newManager()) {
      NDArray c = m.create(new double[] {100, -100, 0.5});
      NDArray r = m.create(new double[] {0, 0, 0});
      double loss = new BradleyTerry(0).loss(c, r, null).sum().getDouble();
      assertThat(loss).isCloseTo(Math.exp(-100) + 100 + Math.log1p(Math.exp(-0.5)), Offset.offset(1e-12));
    }
  }

  /** Loss, accuracy and the trainable weights after one step over the given micro-batches. */
  static List<double[]> oneStep(List<List<RewardPair>> micro, boolean checkpointing) {
    return withModel((model, peft) -> {
      List<Parameter> params = peft.trainableParameters();
      TrainerConfig cfg = TrainerConfig.of(1, 1, 1).withActivationCheckpointing(checkpointing);
      RewardObjective obj = new RewardObjective(peft.scoreHead("default"), PAD, new BradleyTerry(0.01));
      try (TrainingSession<RewardPair, RewardObjective.Batch> s = new Trainer(model, params, cfg, x -> 1e-2, null).open(obj)) {
        StepMetrics m = s.step(micro);
        assertThat(m.count()).isEqualTo(8);
        List<double[]> out = new ArrayList<>();
        out.add(new double[] {m.loss(), m.metrics().get("accuracy"), m.metrics().get("margin"), m.gradNorm()});
        for (Parameter p : params) {
          out.add(p.data().toDoubleArray());
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Test
  void accumulationIsExactAndCheckpointingChangesNothing() {
    List<RewardPair> data = pairs(true);
    List<double[]> whole = oneStep(List.of(data), false);
    List<List<RewardPair>> singles = new ArrayList<>();
    data.forEach(p -> singles.add(List.of(p)));
    List<double[]> ones = oneStep(singles, false);
    List<double[]> uneven = oneStep(List.of(data.subList(0, 2), data.subList(2, 8)), false);
    List<double[]> ck = oneStep(List.of(data.subList(0, 4), data.subList(4, 8)), true);
    assertThat(whole.get(0)[0]).isGreaterThan(0);
    assertThat(whole.size()).isGreaterThan(2);   // LoRA matrices and the score head moved together
    for (List<double[]> other : List.of(ones, uneven, ck)) {
      for (int i = 0; i < whole.size(); i++) {
        assertThat(other.get(i)).containsExactly(whole.get(i), Offset.offset(1e-12));
      }
    }
  }
}
