package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.KvCache;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefixTuningTest {
  @TempDir Path tmp;
  private static final long[] V = {11, 22, 33};
  private static final long[] X = {5, 9, 2, 44, 17};

  private static CausalLM model(NDManager m) {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m, RandomWeights.generate(c, m, 4, 0.3, 0.1, DataType.FLOAT32));
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void aPrefixOfRealKeysAndValuesEqualsPrependingTheTokens() throws Exception {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      int v = model.config().vocabSize();
      float[] base = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      float[] withIds = model.logits(ModelInput.of(m, new long[][] {concat(V, X)})).toFloatArray();
      long[] greedyRef = new Generator(model).generate(List.of(concat(V, X)), GenerationConfig.greedy(6), null).get(0).tokens();
      // the keys and values the model itself computes for V become the prefix table [n, 2L*K*D]
      NDList slots = new NDList();
      try (KvCache cache = new KvCache(m, model.config().numLayers())) {
        model.hiddenStates(ModelInput.of(m, new long[][] {V}), cache);
        for (int i = 0; i < model.config().numLayers(); i++) {
          NDArray k = cache.keys(i).get(0).transpose(1, 0, 2).duplicate();      // [n, K, D]
          NDArray vv = cache.values(i).get(0).transpose(1, 0, 2).duplicate();
          k.attach(m);                                                           // outlive the cache
          vv.attach(m);
          slots.add(k);
          slots.add(vv);
        }
      }
      NDArray table = NDArrays.stack(slots, 1).reshape(V.length, -1);          // [n, 2L*K*D]
      PrefixTuning pt = new PrefixTuning(model, V.length, 1);
      pt.setTable(table);
      float[] got = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      assertThat(got).containsExactly(Arrays.copyOfRange(withIds, V.length * v, withIds.length), Offset.offset(2e-5f));
      long[] greedy = new Generator(model).generate(List.of(X, new long[] {7, 8}), GenerationConfig.greedy(6), null).get(0).tokens();
      assertThat(greedy).containsExactly(greedyRef);
      pt.state().disable();
      assertThat(model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray()).containsExactly(base);
      pt.state().enable();
      pt.save(tmp, null);
    }
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      float[] withIds = model.logits(ModelInput.of(m, new long[][] {concat(V, X)})).toFloatArray();
      PrefixTuning.load(model, tmp);
      float[] got = model.logits(ModelInput.of(m, new long[][] {X})).toFloatArray();
      int v = model.config().vocabSize();
      assertThat(got).containsExactly(Arrays.copyOfRange(withIds, V.length * v, withIds.length), Offset.offset(2e-5f));
    }
  }

  @Test
  void prefixTrainsAndOnlyItTrains() throws Exception {
    List<TrainingExample> data = new ArrayList<>();
    for (int k = 0; k < 8; k++) {
      long[] row = new long[8];
      for (int j = 0; j < 8; j++) {
        row[j] = 1 + (k + 3 * j) % 60;
      }
      data.add(TrainingExample.allTokens(row));
    }
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      PrefixTuning pt = new PrefixTuning(model, 4, 3);
      List<StepMetrics> steps = new Trainer(model, pt.trainableParameters(), TrainerConfig.of(30, 4, 1), s -> 1e-2, null)
          .train(data, null);
      assertThat(steps.get(29).loss()).isLessThan(steps.get(0).loss());
      assertThat(model.trainableParameters()).isEmpty();
    }
  }
}
