package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.SafetensorsFile;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A parameter that no backward reaches in some steps (adapter {@code b}, used only by micro-batches
 * whose first example starts with an even token) is skipped by AdamW in exactly those steps (weight
 * decay on, so a wrongly stepped matrix would shrink), keeps its own step count in the checkpoint, and
 * a run resumed across such steps equals the uninterrupted one bit for bit.
 */
class SkippedParameterResumeTest {
  @TempDir Path tmp;

  /** Token cross-entropy under adapter {@code a}, plus {@code b} for micro-batches led by an even token. */
  record TwoAdapterObjective(PeftModel peft, TokenCrossEntropy ce) implements Objective<TrainingExample, TwoAdapterObjective.Batch> {
    record Batch(TokenLoss.Batch tokens, boolean usesB) {}

    static boolean usesB(List<TrainingExample> examples) {
      return examples.get(0).ids()[0] % 2 == 0;
    }

    @Override
    public Batch collate(NDManager manager, List<TrainingExample> examples) {
      return new Batch(ce.collate(manager, examples), usesB(examples));
    }

    @Override
    public long count(List<TrainingExample> examples) {
      return ce.count(examples);
    }

    @Override
    public Loss loss(CausalLM model, Batch batch) {
      try (AdapterScope s = batch.usesB() ? peft.use("a", "b") : peft.use("a")) {
        return ce.loss(model, batch.tokens());
      }
    }

    @Override
    public ModelInput input(Batch batch) {
      return ce.input(batch.tokens());
    }
  }

  record Run(List<Double> losses, List<double[]> bAfterStep, List<double[]> finalWeights, String bName, String aName) {}

  static Run run(Path dir, long steps) throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("a", LoraConfig.of(4, 8, "all-linear"), 7);
      peft.addLora("b", LoraConfig.of(4, 8, "all-linear"), 8);
      peft.setTrainable("a", "b");
      List<Parameter> params = peft.trainableParameters();
      Parameter bMatrix = peft.parametersOf("b").get(0);
      TrainerConfig cfg = new TrainerConfig(steps, 2, 2, 1.0, 0.9, 0.999, 1e-8, 0.1, 0, 2, 42, 0, false);
      Trainer t = new Trainer(model, params, cfg, s -> 3e-3, dir);
      List<double[]> bAfter = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      t.train(new TwoAdapterObjective(peft, new TokenCrossEntropy(0)), TrainerTest.data(), new TrainingHooks() {
        @Override
        public boolean afterStep(StepMetrics s) {
          losses.add(s.loss());
          bAfter.add(values(bMatrix.data()));
          return false;
        }
      });
      List<double[]> w = new ArrayList<>();
      for (Parameter p : params) {
        w.add(values(p.data()));
      }
      return new Run(losses, bAfter, w, bMatrix.name(), peft.parametersOf("a").get(0).name());
    }
  }

  /** Whether step {@code step} (0-based) of the seeded order has a micro-batch that uses adapter b. */
  static boolean bTrains(long step) {
    TrainerConfig cfg = TrainerConfig.of(8, 2, 2);
    List<TrainingExample> data = TrainerTest.data();
    List<Integer> idx = new DataOrder(data.size(), cfg.seed()).take(step * 4, 4);
    return usesB(data, idx.subList(0, 2)) || usesB(data, idx.subList(2, 4));
  }

  private static boolean usesB(List<TrainingExample> data, List<Integer> idx) {
    return TwoAdapterObjective.usesB(List.of(data.get(idx.get(0))));
  }

  @Test
  void skippedStepsLeaveTheParameterAloneAndResumeBitForBit() throws IOException {
    List<Boolean> trains = new ArrayList<>();
    for (int s = 0; s < 8; s++) {
      trains.add(bTrains(s));
    }
    // the seeded order must skip b in some steps, among them one before the resume point, and train it in others
    assertThat(trains.subList(0, 4)).contains(false).contains(true);
    assertThat(trains.subList(4, 8)).contains(true);

    Run full = run(tmp.resolve("full"), 8);
    for (int s = 1; s < 8; s++) {
      if (trains.get(s)) {
        assertThat(full.bAfterStep().get(s)).as("b after step %d", s + 1).isNotEqualTo(full.bAfterStep().get(s - 1));
      } else {
        assertThat(full.bAfterStep().get(s)).as("b after step %d", s + 1).containsExactly(full.bAfterStep().get(s - 1));
      }
    }

    Path dir = tmp.resolve("resumed");
    Run first = run(dir, 4);
    long bSteps = trains.subList(0, 4).stream().filter(x -> x).count();
    try (SafetensorsFile o = SafetensorsFile.open(dir.resolve("checkpoint-4").resolve("optimizer.safetensors"))) {
      // torch's state[p]["step"]: b counts only the steps it took part in, a every step
      assertThat(o.toFloatArray(first.bName() + ".step")[0]).isEqualTo((float) bSteps);
      assertThat(o.toFloatArray(first.aName() + ".step")[0]).isEqualTo(4f);
    }
    assertThat(bSteps).isLessThan(4);
    Run rest = run(dir, 8);
    assertThat(first.losses()).containsExactlyElementsOf(full.losses().subList(0, 4));
    assertThat(rest.losses()).containsExactlyElementsOf(full.losses().subList(4, 8));
    for (int i = 0; i < full.finalWeights().size(); i++) {
      assertThat(rest.finalWeights().get(i)).containsExactly(full.finalWeights().get(i));
    }
  }

  private static double[] values(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
