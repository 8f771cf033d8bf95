package dev.align4j.rl.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.rl.TinyPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * A rollout's log-probs are those of an independent teacher-forced forward of each row alone (policy
 * adapter on; reference: the bare base), at the sampling temperature; they equal the decoding steps'
 * sampling log-probs; the mask ends at the first EOS; values are the value head's at the state before
 * each token; rows are what a plain generation with the same seed samples.
 */
class RolloutSamplerTest {
  static final long EOS = 60;
  static final double T = 0.7;

  /** log_softmax(logits / temperature)[token] of each completion token, from a forward of prompt + completion alone. */
  static double[] aloneLogProbs(TinyPolicy tp, long[] prompt, long[] completion, double temperature) {
    long[] ids = new long[prompt.length + completion.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    try (NDManager s = tp.model.manager().newSubManager()) {
      double[] logits = tp.model.logits(ModelInput.of(s, new long[][] {ids})).toType(DataType.FLOAT64, false)
          .toDoubleArray();                                                       // [1, L, V]
      int v = tp.model.config().vocabSize();
      double[] out = new double[completion.length];
      for (int j = 0; j < completion.length; j++) {
        int at = (prompt.length - 1 + j) * v;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
          max = Math.max(max, logits[at + k] / temperature);
        }
        double z = 0;
        for (int k = 0; k < v; k++) {
          z += Math.exp(logits[at + k] / temperature - max);
        }
        out[j] = logits[at + (int) completion[j]] / temperature - max - Math.log(z);
      }
      return out;
    }
  }

  @Test
  void logProbsValuesAndMasksMatchIndependentForwards() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "policy", "value")) {
      tp.peft.addScoreHead("value", 1, 3);
      PolicyRoles roles = new PolicyRoles(tp.peft, "policy", null, "value");
      RolloutConfig cfg = new RolloutConfig(2, 7, T, 0, 1.0, 3, new long[] {EOS}, 0);
      List<RlPrompt> prompts = TinyPolicy.prompts(4, 5);
      RolloutSampler sampler = new RolloutSampler(roles, cfg, ss -> ss.stream().mapToDouble(s -> s.completionIds().length).toArray(),
          ids -> Arrays.toString(ids));
      Rollout r = sampler.sample(prompts, 9);
      assertThat(r.size()).isEqualTo(8);
      assertThat(r.group()).containsExactly(0, 0, 1, 1, 2, 2, 3, 3);
      // rows are what the generator samples with the same seed (chunks of 3 rows)
      List<Completion> direct = new ArrayList<>();
      for (int s = 0; s < 8; s += 3) {
        List<long[]> ps = new ArrayList<>();
        for (int i = s; i < Math.min(8, s + 3); i++) {
          ps.add(r.prompts().get(i).ids());
        }
        try (AdapterScope a = tp.peft.use("policy")) {
          direct.addAll(new Generator(tp.model).generate(ps, GenerationConfig.sampling(7, T, 0, 1.0, 9 * 1_000_003L + s, EOS), null));
        }
      }
      boolean sawEos = false;
      boolean sawLength = false;
      for (int i = 0; i < 8; i++) {
        long[] c = r.completions().get(i);
        assertThat(c).containsExactly(direct.get(i).tokens());
        assertThat(r.scores()[i]).isEqualTo(c.length);
        // mask: 1 through the first EOS, 0 after
        int firstEos = -1;
        for (int j = 0; j < c.length && firstEos < 0; j++) {
          firstEos = c[j] == EOS ? j : -1;
        }
        assertThat(r.eos()[i]).isEqualTo(firstEos >= 0);
        assertThat(firstEos < 0 || firstEos == c.length - 1).isTrue();
        sawEos |= r.eos()[i];
        sawLength |= !r.eos()[i];
        for (int j = 0; j < r.width(); j++) {
          assertThat(r.mask()[i][j]).isEqualTo(j < c.length ? 1.0 : 0.0);
        }
        long[] p = r.prompts().get(i).ids();
        double[] policy;
        double[] ref;
        try (AdapterScope a = tp.peft.use("policy")) {
          policy = aloneLogProbs(tp, p, c, T);
        }
        try (AdapterScope a = tp.peft.disabled()) {
          ref = aloneLogProbs(tp, p, c, T);
        }
        for (int j = 0; j < c.length; j++) {
          assertThat(r.logProbs()[i][j]).isCloseTo(policy[j], Offset.offset(2e-5));
          assertThat(r.refLogProbs()[i][j]).isCloseTo(ref[j], Offset.offset(2e-5));
          // the decoding steps' sampling distribution is softmax(logits / temperature) here: same numbers
          assertThat(r.logProbs()[i][j]).isCloseTo(direct.get(i).samplingLogProbs()[j], Offset.offset(1e-5));
        }
        assertThat(Math.abs(policy[0] - ref[0])).isGreaterThan(1e-4);   // the adapter matters
        for (int j = c.length; j < r.width(); j++) {
          assertThat(r.logProbs()[i][j]).isZero();
        }
      }
      assertThat(sawEos || sawLength).isTrue();
      // values: the head on the value adapter's hidden state at the position before each token, row alone
      for (int i = 0; i < 8; i++) {
        long[] p = r.prompts().get(i).ids();
        long[] c = r.completions().get(i);
        long[] ids = new long[p.length + c.length];
        System.arraycopy(p, 0, ids, 0, p.length);
        System.arraycopy(c, 0, ids, p.length, c.length);
        try (NDManager s = tp.model.manager().newSubManager(); AdapterScope a = tp.peft.use("value")) {
          double[] v = tp.peft.scoreHead("value").forward(tp.model.hiddenStates(ModelInput.of(s, new long[][] {ids}), null)).toType(DataType.FLOAT64, false)
              .toDoubleArray();                                                   // [1, L, 1]
          for (int j = 0; j < c.length; j++) {
            assertThat(r.values()[i][j]).isCloseTo(v[p.length - 1 + j], Offset.offset(2e-5));
          }
        }
      }
    }
  }

  @Test
  void referenceAdapterServesTheReferenceAndNoCriticMeansNoValues() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "policy", "sft")) {
      PolicyRoles roles = new PolicyRoles(tp.peft, "policy", "sft", null);
      RolloutSampler sampler = new RolloutSampler(roles, new RolloutConfig(1, 5, 1.0, 0, 1.0, 8, new long[] {EOS}, 0),
          ss -> new double[ss.size()], null);
      Rollout r = sampler.sample(TinyPolicy.prompts(3, 8), 1);
      assertThat(r.values()).isNull();
      for (int i = 0; i < 3; i++) {
        double[] ref;
        try (AdapterScope a = tp.peft.use("sft")) {
          ref = aloneLogProbs(tp, r.prompts().get(i).ids(), r.completions().get(i), 1.0);
        }
        for (int j = 0; j < r.length(i); j++) {
          assertThat(r.refLogProbs()[i][j]).isCloseTo(ref[j], Offset.offset(2e-5));
        }
      }
    }
  }
}
