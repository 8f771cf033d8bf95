package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTuningTest {
  @TempDir Path tmp;
  private static final long[] V = {11, 22, 33};
  private static final long[] X = {5, 9, 2, 44, 17};

  private static CausalLM model(NDManager m) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 4, 0.3, 0.1, DataType.FLOAT32));
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void virtualTokensActLikePrependedTokensWithCacheAndDisableScope() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      int v = model.config().vocabSize();
      float[] base = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      float[] withIds = model.logits(ModelInput.of(m, new long[][] {concat(V, X)})).toFloatArray();
      long[] greedyRef = new Generator(model).generate(List.of(concat(V, X)), GenerationConfig.greedy(6), null).get(0).tokens();
      PromptTuning pt = new PromptTuning(model, PromptTuning.Kind.PROMPT_TUNING, V.length, 0, 1, V);   // text init = V's embeddings
      float[] got = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      float[] want = Arrays.copyOfRange(withIds, V.length * v, withIds.length);
      assertThat(got).containsExactly(want, Offset.offset(2e-5f));
      // left-padded batch and KV-cached generation see the prefix too
      long[] greedy = new Generator(model).generate(List.of(X, new long[] {7}), GenerationConfig.greedy(6), null).get(0).tokens();
      assertThat(greedy).containsExactly(greedyRef);
      pt.state().disable();
      assertThat(model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray()).containsExactly(base);
      pt.state().enable();
    }
  }

  /**
   * Saving a prompt-tuning adapter mid-run (early stopping's best/, an evaluation) leaves its table in
   * place: the table was freed with the save's scratch arrays, and the next checkpoint failed with
   * "Native resource has been released already".
   */
  @Test
  void promptTuningSavesTwiceAndKeepsTraining() throws Exception {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      PromptTuning pt = new PromptTuning(model, PromptTuning.Kind.PROMPT_TUNING, V.length, 0, 1, V);
      float[] before = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      pt.save(tmp.resolve("a"), null);
      assertThat(model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray()).containsExactly(before);
      pt.save(tmp.resolve("b"), null);
      assertThat(Files.readAllBytes(tmp.resolve("b").resolve(PeftAdapterFiles.WEIGHTS)))
          .isEqualTo(Files.readAllBytes(tmp.resolve("a").resolve(PeftAdapterFiles.WEIGHTS)));
      List<StepMetrics> steps = new Trainer(model, pt.trainableParameters(), TrainerConfig.of(2, 2, 1), s -> 1e-2, null)
          .train(List.of(TrainingExample.allTokens(X), TrainingExample.allTokens(concat(X, V))), null);
      assertThat(steps).hasSize(2);
    }
  }

  @Test
  void pTuningTrainsOnlyThePromptAndSavesItsOutput() throws Exception {
    float[] trained;
    List<TrainingExample> data = new ArrayList<>();
    for (int k = 0; k < 8; k++) {
      long[] row = new long[8];
      for (int j = 0; j < 8; j++) {
        row[j] = 1 + (k + 2 * j) % 60;
      }
      data.add(TrainingExample.allTokens(row));
    }
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      PromptTuning pt = new PromptTuning(model, PromptTuning.Kind.P_TUNING, 4, 32, 3, null);
      assertThat(pt.trainableParameters()).hasSize(7);
      List<StepMetrics> steps = new Trainer(model, pt.trainableParameters(), TrainerConfig.of(40, 4, 1), s -> 1e-2, null)
          .train(data, null);
      assertThat(steps.get(39).loss()).isLessThan(steps.get(0).loss());
      assertThat(model.trainableParameters()).isEmpty();
      trained = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      pt.save(tmp, null);
    }
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      PromptTuning.load(model, tmp);
      assertThat(model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray()).containsExactly(trained, Offset.offset(1e-5f));
    }
  }
}
