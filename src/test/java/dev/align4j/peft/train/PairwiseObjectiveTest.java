package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reward-model-shaped objective written against the engine without touching it: a pairwise
 * Bradley-Terry loss on a fixed projection of the mean final hidden state, normalised by pairs, with
 * an accuracy metric. It trains through the same accumulation, activation checkpointing, checkpoints
 * and resume as SFT.
 */
class PairwiseObjectiveTest {
  @TempDir Path tmp;

  /** A preference pair of token sequences. */
  record Pair(long[] chosen, long[] rejected) {}

  /** Chosen rows then rejected rows, right-padded, and per-row weights 1/length on real tokens. */
  record PairBatch(ModelInput input, NDArray meanWeights, int pairs) {}

  /** {@code -log sigmoid(r(chosen) - r(rejected))} summed over pairs, r = mean_t(h_t) . v. */
  static final class BradleyTerry implements Objective<Pair, PairBatch> {
    @Override
    public PairBatch collate(NDManager manager, List<Pair> examples) {
      int b = examples.size();
      long[][] rows = new long[2 * b][];
      for (int i = 0; i < b; i++) {
        rows[i] = examples.get(i).chosen();
        rows[b + i] = examples.get(i).rejected();
      }
      ModelInput in = ModelInput.padded(manager, rows, 0, false);
      int t = in.length();
      double[] w = new double[2 * b * t];
      for (int i = 0; i < 2 * b; i++) {
        for (int j = 0; j < rows[i].length; j++) {
          w[i * t + j] = 1.0 / rows[i].length;
        }
      }
      return new PairBatch(in, manager.create(w, new Shape(2 * b, t)), b);
    }

    @Override
    public long count(List<Pair> examples) {
      return examples.size();
    }

    @Override
    public String countName() {
      return "pairs";
    }

    @Override
    public ModelInput input(PairBatch batch) {
      return batch.input();
    }

    @Override
    public Loss lossFromHidden(CausalLM model, PairBatch batch, NDArray hidden) {
      NDArray v = hidden.getManager().create(projection(hidden.getShape().get(2)))
          .toType(hidden.getDataType(), false).reshape(-1, 1);                         // [H, 1]
      NDArray perToken = hidden.matMul(v).squeeze(-1);                                  // [2B, T]
      NDArray w = batch.meanWeights().toType(hidden.getDataType(), false);
      NDArray r = perToken.mul(w).sum(new int[] {1});                                   // [2B]
      int b = batch.pairs();
      NDArray margin = r.get("0:" + b).sub(r.get(b + ":"));                             // [B]
      // -log sigmoid(m) = log(1 + exp(-m))
      NDArray nll = margin.neg().exp().add(Kernels.scalar(margin, 1)).log();            // [B]
      NDArray correct = margin.gt(0).toType(DataType.FLOAT64, false);                   // [B]
      return new Loss(nll.sum(), Map.of("accuracy", correct.sum()));
    }
  }

  static double[] projection(long h) {
    double[] v = new double[(int) h];
    for (int i = 0; i < h; i++) {
      v[i] = Math.sin(i + 1.0);
    }
    return v;
  }

  static List<Pair> pairs() {
    SplittableRandom r = new SplittableRandom(3);
    List<Pair> out = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      long[] c = new long[4 + r.nextInt(6)];
      long start = r.nextInt(60);
      for (int j = 0; j < c.length; j++) {
        c[j] = 1 + (start + j) % 60;
      }
      long[] x = new long[3 + r.nextInt(7)];
      for (int j = 0; j < x.length; j++) {
        x[j] = 1 + r.nextInt(60);
      }
      out.add(new Pair(c, x));
    }
    return out;
  }

  /** Runs {@code body} on a fresh float64 model with LoRA (same weights every call). */
  static <T> T withModel(Function<CausalLM, Function<List<Parameter>, T>> body) {
    return withModel(Precision.FLOAT64, body);
  }

  static <T> T withModel(Precision precision, Function<CausalLM, Function<List<Parameter>, T>> body) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    DataType dt = precision == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, precision, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, dt))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
      return body.apply(model).apply(peft.trainableParameters());
    }
  }

  /** Loss, accuracy and the trainable weights after one step over the given micro-batches. */
  static List<double[]> oneStep(List<List<Pair>> micro, boolean checkpointing) {
    return withModel(model -> params -> {
      TrainerConfig cfg = TrainerConfig.of(1, 1, 1).withActivationCheckpointing(checkpointing);
      try (TrainingSession<Pair, PairBatch> s = new Trainer(model, params, cfg, x -> 1e-2, null).open(new BradleyTerry())) {
        StepMetrics m = s.step(micro);
        assertThat(m.count()).isEqualTo(8);
        List<double[]> out = new ArrayList<>();
        out.add(new double[] {m.loss(), m.metrics().get("accuracy"), m.gradNorm()});
        for (Parameter p : params) {
          out.add(p.data().toDoubleArray());
        }
        return out;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void lossAndAccuracyMatchAHandComputation() {
    List<Pair> data = pairs();
    double[] got = withModel(model -> params -> {
      Evaluation.Result r = Evaluation.run(model, new BradleyTerry(), data, 3);
      // reference: each sequence alone, reward reduced in Java
      double loss = 0;
      double correct = 0;
      try (NDManager s = model.manager().newSubManager()) {
        for (Pair p : data) {
          double m = reward(model, s, p.chosen()) - reward(model, s, p.rejected());
          loss += Math.log1p(Math.exp(-m));
          correct += m > 0 ? 1 : 0;
        }
      }
      assertThat(r.count()).isEqualTo(8);
      return new double[] {r.loss(), loss / 8, r.metrics().get("accuracy"), correct / 8};
    });
    assertThat(got[0]).isCloseTo(got[1], Offset.offset(1e-12));
    assertThat(got[2]).isEqualTo(got[3]);
  }

  private static double reward(CausalLM model, NDManager s, long[] ids) {
    double[] h = model.hiddenStates(ModelInput.of(s, new long[][] {ids}), null).toDoubleArray();   // [1, T, H]
    double[] v = projection(model.config().hiddenSize());
    double r = 0;
    for (int t = 0; t < ids.length; t++) {
      for (int k = 0; k < v.length; k++) {
        r += h[t * v.length + k] * v[k];
      }
    }
    return r / ids.length;
  }

  @Test
  void accumulationIsExactAndCheckpointingChangesNothing() {
    List<Pair> data = pairs().subList(0, 8);
    List<double[]> whole = oneStep(List.of(data), false);
    List<List<Pair>> singles = new ArrayList<>();
    data.forEach(p -> singles.add(List.of(p)));
    List<double[]> ones = oneStep(singles, false);
    List<double[]> halves = oneStep(List.of(data.subList(0, 2), data.subList(2, 8)), false);
    List<double[]> ck = oneStep(List.of(data.subList(0, 4), data.subList(4, 8)), true);
    assertThat(whole.get(0)[0]).isGreaterThan(0);
    for (List<double[]> other : List.of(ones, halves, ck)) {
      for (int i = 0; i < whole.size(); i++) {
        assertThat(other.get(i)).containsExactly(whole.get(i), Offset.offset(1e-12));
      }
    }
  }

  /**
   * Losses of the steps run now, and the extra state handed to onStart. Float32: checkpoints hold
   * float32 weights, so only a float32 run resumes bit for bit.
   */
  static List<Double> train(Path dir, long steps, List<ObjectNode> resumedStates) {
    return withModel(Precision.FLOAT32, model -> params -> {
      TrainerConfig cfg = TrainerConfig.of(steps, 2, 2).withCheckpointEvery(2);
      List<Double> losses = new ArrayList<>();
      TrainingHooks hooks = new TrainingHooks() {
        long step;

        @Override
        public void onStart(ObjectNode resumed, long resumedStep) {
          resumedStates.add(resumed);
          step = resumedStep;
        }

        @Override
        public boolean afterStep(StepMetrics m) {
          step = m.step();
          return false;
        }

        @Override
        public ObjectNode state() {
          return new ObjectMapper().createObjectNode().put("rollouts_done", step * 10);
        }
      };
      try {
        new Trainer(model, params, cfg, x -> 5e-3, dir).train(new BradleyTerry(), pairs(), hooks)
            .forEach(m -> losses.add(m.loss()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return losses;
    });
  }

  @Test
  void resumedRunEqualsUninterruptedAndGetsItsStateBack() throws IOException {
    List<ObjectNode> states = new ArrayList<>();
    List<Double> full = train(tmp.resolve("full"), 6, states);
    Path dir = tmp.resolve("interrupted");
    List<Double> first = train(dir, 3, states);
    List<Double> rest = train(dir, 6, states);
    assertThat(first).containsExactlyElementsOf(full.subList(0, 3));
    assertThat(rest).containsExactlyElementsOf(full.subList(3, 6));
    assertThat(full.get(5)).isLessThan(full.get(0));
    assertThat(states.get(0)).isNull();
    assertThat(states.get(1)).isNull();
    assertThat(states.get(2).get("rollouts_done").asLong()).isEqualTo(30);
  }

  @Test
  void aSessionCheckpointReturnsItsExtraState() throws IOException {
    Path dir = tmp.resolve("session");
    ObjectNode extra = new ObjectMapper().createObjectNode().put("rollout_seed", 17);
    extra.putArray("buffer").add(1.5).add(-2);
    withModel(model -> params -> {
      try {
        Trainer t = new Trainer(model, params, TrainerConfig.of(10, 2, 1), x -> 1e-2, dir);
        try (TrainingSession<Pair, PairBatch> s = t.open(new BradleyTerry())) {
          assertThat(s.resumedState()).isEmpty();
          s.step(List.of(pairs().subList(0, 2)));
          s.step(List.of(pairs().subList(2, 4), pairs().subList(4, 5)));   // micro-batches of any size
          s.checkpoint(extra);
        }
        try (TrainingSession<Pair, PairBatch> s = t.open(new BradleyTerry())) {
          assertThat(s.steps()).isEqualTo(2);
          assertThat(s.resumedState()).contains(extra);
        }
        return null;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }
}
