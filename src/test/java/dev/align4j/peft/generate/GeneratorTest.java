package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  private static final List<long[]> PROMPTS =
      List.of(new long[] {5, 9, 2, 44, 17, 3}, new long[] {8}, new long[] {30, 31, 32});

  private static CausalLM model(NDManager m) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
        RandomWeights.generate(c, m, 21, 0.5, 0.1, DataType.FLOAT32));
  }

  /** Greedy decoding by recomputing the whole sequence at every step, no cache. */
  private static long[] recomputeGreedy(NDManager m, CausalLM model, long[] prompt, int n) {
    long[] seq = prompt.clone();
    for (int i = 0; i < n; i++) {
      try (NDManager s = m.newSubManager()) {
        float[] logits = model.logits(ModelInput.of(s, new long[][] {seq})).toFloatArray();
        int v = model.config().vocabSize();
        long next = Sampler.greedy(Arrays.copyOfRange(logits, (seq.length - 1) * v, seq.length * v));
        seq = Arrays.copyOf(seq, seq.length + 1);
        seq[seq.length - 1] = next;
      }
    }
    return Arrays.copyOfRange(seq, prompt.length, seq.length);
  }

  @Test
  void cachedGreedyEqualsRecomputeAndBatchEqualsOneByOne() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      Generator g = new Generator(model);
      GenerationConfig cfg = GenerationConfig.greedy(12).withPadId(63);
      List<Completion> batch = g.generate(PROMPTS, cfg, null);
      for (int i = 0; i < PROMPTS.size(); i++) {
        long[] expected = recomputeGreedy(m, model, PROMPTS.get(i), 12);
        assertThat(batch.get(i).tokens()).as("row %d batched", i).containsExactly(expected);
        List<Completion> alone = g.generate(List.of(PROMPTS.get(i)), cfg, null);
        assertThat(alone.get(0).tokens()).as("row %d alone", i).containsExactly(expected);
        assertThat(batch.get(i).reason()).isEqualTo(FinishReason.LENGTH);
      }
    }
  }

  @Test
  void stopsAtEosPerRowAndOthersContinue() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      Generator g = new Generator(model);
      long[] free = recomputeGreedy(m, model, PROMPTS.get(0), 8);
      long eos = free[2];   // row 0 hits this at its first occurrence (the third token or sooner)
      int first = 0;
      while (free[first] != eos) {
        first++;
      }
      List<Completion> out = g.generate(PROMPTS, GenerationConfig.greedy(8, eos), null);
      assertThat(out.get(0).tokens()).containsExactly(Arrays.copyOf(free, first + 1));
      assertThat(out.get(0).reason()).isEqualTo(FinishReason.EOS);
      for (int i = 1; i < PROMPTS.size(); i++) {
        long[] alone = g.generate(List.of(PROMPTS.get(i)), GenerationConfig.greedy(8, eos), null).get(0).tokens();
        assertThat(out.get(i).tokens()).containsExactly(alone);
      }
    }
  }

  @Test
  void stopStringEndsTheSequence() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      long[] free = recomputeGreedy(m, model, PROMPTS.get(0), 6);
      // decoder: token id -> "<id>"; stop at the third token's text
      String stop = "<" + free[2] + ">";
      GenerationConfig cfg = GenerationConfig.greedy(6).withStopStrings(List.of(stop));
      Completion c = new Generator(model).generate(List.of(PROMPTS.get(0)), cfg, ids -> {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
          sb.append('<').append(id).append('>');
        }
        return sb.toString();
      }).get(0);
      int first = 0;
      while (free[first] != free[2]) {
        first++;
      }
      assertThat(c.tokens()).containsExactly(Arrays.copyOf(free, first + 1));
      assertThat(c.reason()).isEqualTo(FinishReason.STOP_STRING);
    }
  }

  @Test
  void samplingIsSeededAndReproducible() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      Generator g = new Generator(model);
      List<long[]> a = tokens(g.generate(PROMPTS, GenerationConfig.sampling(10, 1.5, 0, 1.0, 42), null));
      List<long[]> b = tokens(g.generate(PROMPTS, GenerationConfig.sampling(10, 1.5, 0, 1.0, 42), null));
      List<long[]> c = tokens(g.generate(PROMPTS, GenerationConfig.sampling(10, 1.5, 0, 1.0, 43), null));
      for (int i = 0; i < a.size(); i++) {
        assertThat(a.get(i)).containsExactly(b.get(i));
      }
      assertThat(Arrays.deepEquals(a.toArray(), c.toArray())).isFalse();
    }
  }

  private static List<long[]> tokens(List<Completion> cs) {
    List<long[]> out = new ArrayList<>();
    cs.forEach(c -> out.add(c.tokens()));
    return out;
  }
}
