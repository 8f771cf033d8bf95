package dev.align4j.recipes.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.rl.TinyPolicy;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The policy evaluator's KL is the hand-summed log-ratio of the sampled tokens under independent
 * teacher-forced forwards (each row alone, as {@code align4j logprobs} computes them), exactly 0 for a
 * policy against an identical copy of itself and for the base against the base; the same seed gives
 * the same numbers; the reward model's score is the mean over the greedy completions.
 */
class PolicyEvaluatorTest {
  static final long EOS = 60;
  static final String GOLD = "事件类型：暴力破解；风险等级：中；建议：封禁来源IP";

  /** TinyPolicy's prompts with a gold report in the judge's field. */
  static List<RlPrompt> prompts(int n) {
    List<RlPrompt> out = new ArrayList<>();
    for (RlPrompt p : TinyPolicy.prompts(n, 5)) {
      out.add(new RlPrompt(p.ids(), p.text(), Map.of(PromptDataset.REFERENCE, GOLD)));
    }
    return out;
  }

  static PolicyEvaluator evaluator(TinyPolicy tp, String reference, long seed) {
    return new PolicyEvaluator(tp.peft, prompts(5), reference, null, new EvalConfig(6, 3, seed, 2, 4),
        Arrays::toString, new long[] {EOS}, 0);
  }

  /** Sum over the completion of log_softmax(logits)[token], from a forward of prompt + completion alone (float64 softmax). */
  static double aloneSequenceLogProb(CausalLM model, long[] prompt, long[] completion) {
    long[] ids = new long[prompt.length + completion.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    try (NDManager s = model.manager().newSubManager()) {
      double[] logits = model.logits(ModelInput.of(s, new long[][] {ids})).toType(DataType.FLOAT64, false)
          .toDoubleArray();                                                       // [1, L, V]
      int v = model.config().vocabSize();
      double sum = 0;
      for (int j = 0; j < completion.length; j++) {
        int at = (prompt.length - 1 + j) * v;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
          max = Math.max(max, logits[at + k]);
        }
        double z = 0;
        for (int k = 0; k < v; k++) {
          z += Math.exp(logits[at + k] - max);
        }
        sum += logits[at + (int) completion[j]] - max - Math.log(z);
      }
      return sum;
    }
  }

  @Test
  void klOfAPolicyAgainstAnIdenticalCopyIsExactlyZero() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref")) {
      // the same initialisation and perturbation as TinyPolicy gave "ref": an identical copy
      tp.peft.addLora("copy", LoraConfig.of(4, 8, "all-linear"), 11);
      TinyPolicy.perturb(tp.peft.parametersOf("copy"), 11);
      PolicyEval e = evaluator(tp, "ref", 3).evaluate("copy");
      assertThat(e.samples()).isEqualTo(15);
      assertThat(e.sampleKl()).hasSize(15).containsOnly(0.0);
      assertThat(e.kl()).isEqualTo(0.0);
      assertThat(e.klStdErr()).isEqualTo(0.0);
      // the base as a policy (a zero adapter) against the base (adapters off): also exactly 0
      PolicyEval base = evaluator(tp, null, 3).evaluate(null);
      assertThat(base.policy()).isNull();
      assertThat(base.sampleKl()).containsOnly(0.0);
    }
  }

  @Test
  void klIsTheHandSumOfTeacherForcedLogProbDifferences() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref", "pol")) {
      PolicyEvaluator ev = evaluator(tp, "ref", 7);
      Rollout r = ev.sample("pol");
      PolicyEval e = ev.evaluate("pol");
      double[] kl = e.sampleKl();
      assertThat(kl).hasSize(r.size());
      double sum = 0;
      boolean nonZero = false;
      for (int i = 0; i < r.size(); i++) {
        long[] p = r.prompts().get(i).ids();
        long[] c = r.completions().get(i);
        double lp;
        double ref;
        try (AdapterScope a = tp.peft.use("pol")) {
          lp = aloneSequenceLogProb(tp.model, p, c);
        }
        try (AdapterScope a = tp.peft.use("ref")) {
          ref = aloneSequenceLogProb(tp.model, p, c);
        }
        // float32 forwards, batched and padded vs alone: agreement to float32 rounding
        assertThat(kl[i]).as("sample %d", i).isCloseTo(lp - ref, Offset.offset(2e-4 * Math.max(1, c.length)));
        nonZero |= Math.abs(lp - ref) > 1e-2;
        sum += kl[i];
      }
      assertThat(nonZero).isTrue();
      assertThat(e.kl()).isCloseTo(sum / kl.length, Offset.offset(1e-12));
      double var = 0;
      for (double v : kl) {
        var += (v - e.kl()) * (v - e.kl());
      }
      assertThat(e.klStdErr()).isCloseTo(Math.sqrt(var / (kl.length - 1) / kl.length), Offset.offset(1e-12));
    }
  }

  @Test
  void theSameSeedGivesTheSameNumbersAndAnotherSeedOtherSamples() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref", "pol")) {
      PolicyEval a = evaluator(tp, "ref", 7).evaluate("pol");
      PolicyEval b = evaluator(tp, "ref", 7).evaluate("pol");
      PolicyEval c = evaluator(tp, "ref", 8).evaluate("pol");
      assertThat(b.sampleKl()).containsExactly(a.sampleKl());
      assertThat(b.kl()).isEqualTo(a.kl());
      assertThat(b.sampledReward()).isEqualTo(a.sampledReward());
      assertThat(b.greedy()).isEqualTo(a.greedy());
      assertThat(b.greedySamples()).isEqualTo(a.greedySamples());
      assertThat(c.sampleKl()).isNotEqualTo(a.sampleKl());
      // greedy decoding does not depend on the seed
      assertThat(c.greedySamples()).isEqualTo(a.greedySamples());
    }
  }

  /**
   * A decoder under which completions read as reports: by the first token, the gold report, one with
   * the wrong risk level, one with the wrong event type, or no report at all.
   */
  static String asReport(long[] ids) {
    return switch (ids.length == 0 ? 3 : (int) (ids[0] % 4)) {
      case 0 -> GOLD;
      case 1 -> "事件类型：暴力破解；风险等级：高；建议：封禁来源IP";
      case 2 -> "事件类型：恶意软件；风险等级：中；建议：隔离主机";
      default -> Arrays.toString(ids);
    };
  }

  @Test
  void sampledJudgeIsTheJudgeOnTheSampledCompletionsAndLeavesGreedyAlone() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref", "pol")) {
      PolicyEvaluator ev = new PolicyEvaluator(tp.peft, prompts(5), "ref", null, new EvalConfig(6, 4, 7, 2, 4),
          PolicyEvaluatorTest::asReport, new long[] {EOS}, 0);
      Rollout r = ev.sample("pol");
      // hand count by each sample's first token (the decoder above): 0 all right, 1 format and event type,
      // 2 format and risk level, 3 nothing
      int[] byKind = new int[4];
      for (long[] c : r.completions()) {
        byKind[c.length == 0 ? 3 : (int) (c[0] % 4)]++;
      }
      double n = r.size();
      PolicyEval e = ev.evaluate("pol");
      assertThat(e.samples()).isEqualTo(20);
      assertThat(e.sampled().count()).isEqualTo(20);
      assertThat(e.sampled().format()).isEqualTo((byKind[0] + byKind[1] + byKind[2]) / n);
      assertThat(e.sampled().eventType()).isEqualTo((byKind[0] + byKind[1]) / n);
      assertThat(e.sampled().riskLevel()).isEqualTo((byKind[0] + byKind[2]) / n);
      assertThat(e.sampled().mean()).isCloseTo((3.0 * byKind[0] + 2.0 * (byKind[1] + byKind[2])) / 3.0 / n,
          Offset.offset(1e-12));
      // not a degenerate draw: at least two kinds of sample
      assertThat(Arrays.stream(byKind).filter(k -> k > 0).count()).isGreaterThanOrEqualTo(2);
      // the same judge as the RL reward (incident_judge) on those samples
      assertThat(e.sampledReward()).isCloseTo(Arrays.stream(r.scores()).average().orElseThrow(), Offset.offset(1e-12));
      // deterministic for a seed; the greedy column is the greedy judge alone, whatever the sampling
      PolicyEval again = new PolicyEvaluator(tp.peft, prompts(5), "ref", null, new EvalConfig(6, 4, 7, 2, 4),
          PolicyEvaluatorTest::asReport, new long[] {EOS}, 0).evaluate("pol");
      assertThat(again.sampled()).isEqualTo(e.sampled());
      PolicyEval otherSeed = new PolicyEvaluator(tp.peft, prompts(5), "ref", null, new EvalConfig(6, 4, 8, 2, 4),
          PolicyEvaluatorTest::asReport, new long[] {EOS}, 0).evaluate("pol");
      assertThat(otherSeed.greedy()).isEqualTo(e.greedy());
      assertThat(ev.greedyJudge("pol")).isEqualTo(e.greedy());
    }
  }

  @Test
  void rewardModelScoreIsTheMeanOverGreedyCompletions() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref", "pol")) {
      List<double[]> seen = new ArrayList<>();
      PolicyEvaluator ev = new PolicyEvaluator(tp.peft, prompts(5), "ref", samples -> {
        double[] out = samples.stream().mapToDouble(s -> s.completionIds().length).toArray();
        seen.add(out);
        return out;
      }, new EvalConfig(6, 2, 1, 2, 4), Arrays::toString, new long[] {EOS}, 0);
      PolicyEval e = ev.evaluate("pol");
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0)).hasSize(5);
      assertThat(e.rmScore()).isCloseTo(Arrays.stream(seen.get(0)).average().orElseThrow(), Offset.offset(1e-12));
      assertThat(evaluator(tp, "ref", 1).evaluate("pol").rmScore()).isNaN();
    }
  }

  @Test
  void badInputIsAClearError() {
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "ref")) {
      List<RlPrompt> noGold = TinyPolicy.prompts(2, 1);
      assertThatThrownBy(() -> new PolicyEvaluator(tp.peft, noGold, "ref", null, EvalConfig.of(1, 1), Arrays::toString,
          new long[] {EOS}, 0)).hasMessageContaining("held-out prompt 1").hasMessageContaining("reference");
      assertThatThrownBy(() -> evaluator(tp, "ref", 1).evaluate("ref")).hasMessageContaining("reference adapter");
      assertThatThrownBy(() -> evaluator(tp, "nope", 1)).hasMessageContaining("nope");
    }
  }
}
