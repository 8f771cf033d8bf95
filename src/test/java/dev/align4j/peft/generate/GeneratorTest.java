package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;
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

  /** Concatenation of two id arrays. */
  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void logProbsEqualARecomputedForward() {
    GenerationConfig sampled = GenerationConfig.sampling(8, 0.8, 12, 0.9, 5).withRepetitionPenalty(1.3).withPadId(63);
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      int v = model.config().vocabSize();
      for (GenerationConfig cfg : List.of(sampled, GenerationConfig.greedy(8).withPadId(63))) {
        List<Completion> out = new Generator(model).generate(PROMPTS, cfg, null);
        for (int i = 0; i < PROMPTS.size(); i++) {
          long[] prompt = PROMPTS.get(i);
          Completion c = out.get(i);
          assertThat(c.modelLogProbs()).hasSize(c.tokens().length);
          assertThat(c.samplingLogProbs()).hasSize(c.tokens().length);
          long[] seq = concat(prompt, c.tokens());
          try (NDManager s = m.newSubManager()) {
            NDArray logits = model.logits(ModelInput.of(s, new long[][] {seq})).reshape(seq.length, v);  // [L, V]
            float[] logp = logits.logSoftmax(1).toFloatArray();
            for (int j = 0; j < c.tokens().length; j++) {
              int at = prompt.length + j - 1;                       // the position that predicts token j
              int tok = (int) c.tokens()[j];
              assertThat(c.modelLogProbs()[j]).as("row %d token %d model", i, j)
                  .isCloseTo(logp[at * v + tok], org.assertj.core.data.Offset.offset(1e-5f));
              // the sampling distribution: transformers' processors over the same logits, seen = prompt + earlier tokens
              NDArray seen = s.zeros(new Shape(1, v), DataType.BOOLEAN);
              Kernels.get().markTokens(seen, s.create(Arrays.copyOf(seq, prompt.length + j), new Shape(1, prompt.length + j)));
              NDArray scores = LogitsProcessors.apply(logits.get(at + ":" + (at + 1)), seen, cfg);
              float expected = scores.logSoftmax(1).toFloatArray()[tok];
              assertThat(c.samplingLogProbs()[j]).as("row %d token %d sampling", i, j)
                  .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5f));
              if (!cfg.doSample()) {
                assertThat(c.samplingLogProbs()[j]).isEqualTo(c.modelLogProbs()[j]);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void repetitionPenaltyGreedyMatchesAHostReference() {
    double penalty = 1.8;
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      int v = model.config().vocabSize();
      List<Completion> out = new Generator(model).generate(PROMPTS,
          GenerationConfig.greedy(10).withRepetitionPenalty(penalty).withPadId(63), null);
      boolean penaltyMattered = false;
      for (int i = 0; i < PROMPTS.size(); i++) {
        long[] seq = PROMPTS.get(i).clone();
        for (int t = 0; t < 10; t++) {
          try (NDManager s = m.newSubManager()) {
            float[] logits = model.logits(ModelInput.of(s, new long[][] {seq})).toFloatArray();
            float[] row = Arrays.copyOfRange(logits, (seq.length - 1) * v, seq.length * v);
            int plain = Sampler.greedy(row);
            // transformers' RepetitionPenaltyLogitsProcessor: seen tokens' logits / p when positive, * p when negative
            for (long id : seq) {
              float l = logits[(seq.length - 1) * v + (int) id];
              row[(int) id] = l < 0 ? (float) (l * penalty) : (float) (l / penalty);
            }
            long next = Sampler.greedy(row);
            penaltyMattered |= next != plain;
            seq = concat(seq, new long[] {next});
          }
        }
        assertThat(out.get(i).tokens()).as("row %d", i)
            .containsExactly(Arrays.copyOfRange(seq, PROMPTS.get(i).length, seq.length));
      }
      assertThat(penaltyMattered).as("the penalty changed at least one choice").isTrue();
    }
  }

  @Test
  void finishedRowsLeavingTheBatchChangeNoOtherRow() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m)) {
      Generator g = new Generator(model);
      GenerationConfig free = GenerationConfig.sampling(10, 1.2, 0, 0.95, 9).withPadId(63);
      List<Completion> all = g.generate(PROMPTS, free, null);
      long eos = all.get(1).tokens()[1];          // row 1 ends at its second token at the latest
      List<Completion> cut = g.generate(PROMPTS, new GenerationConfig(10, true, 1.2, 0, 0.95, 0, 1.0, 9,
          new long[] {eos}, List.of(), 63), null);
      for (int i = 0; i < PROMPTS.size(); i++) {
        long[] full = all.get(i).tokens();
        int end = 0;
        while (end < full.length && full[end] != eos) {
          end++;
        }
        int n = Math.min(end + 1, full.length);
        assertThat(cut.get(i).tokens()).as("row %d", i).containsExactly(Arrays.copyOf(full, n));
        assertThat(cut.get(i).reason()).isEqualTo(n <= end ? FinishReason.LENGTH : FinishReason.EOS);
        for (int j = 0; j < n; j++) {
          assertThat(cut.get(i).modelLogProbs()[j]).isCloseTo(all.get(i).modelLogProbs()[j],
              org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
      assertThat(cut.get(1).tokens().length).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void bfloat16GenerationRunsThroughTheBridge() {
    // bfloat16 arrays abort the JVM in most DJL calls: cache buffers, row selection and masks must go through the bridge
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    try (NDManager m = Torch.newManager()) {
      java.util.Map<String, NDArray> w = RandomWeights.generate(c, m, 21, 0.5, 0.1, DataType.FLOAT32);
      w.replaceAll((k, v) -> Kernels.get().toBFloat16(v));
      try (CausalLM model = CausalLM.create(c, Precision.BFLOAT16, AttentionImpl.FUSED, m, w)) {
        Generator g = new Generator(model);
        long eos = g.generate(PROMPTS, GenerationConfig.greedy(6).withPadId(63), null).get(1).tokens()[0];
        GenerationConfig cfg = new GenerationConfig(6, true, 0.9, 20, 0.95, 0.01, 1.2, 3, new long[] {eos}, List.of(), 63);
        List<Completion> out = g.generate(PROMPTS, cfg, null);
        assertThat(out.get(1).tokens().length).isLessThanOrEqualTo(6);
        for (Completion done : out) {
          assertThat(done.tokens().length).isBetween(1, 6);
          for (int j = 0; j < done.tokens().length; j++) {
            assertThat(done.modelLogProbs()[j]).isFinite().isNotPositive();
            assertThat(done.samplingLogProbs()[j]).isFinite().isNotPositive();
          }
        }
      }
    }
  }

  private static List<long[]> tokens(List<Completion> cs) {
    List<long[]> out = new ArrayList<>();
    cs.forEach(c -> out.add(c.tokens()));
    return out;
  }
}
