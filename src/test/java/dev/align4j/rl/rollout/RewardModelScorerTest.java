package dev.align4j.rl.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.rl.TinyPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reward model loaded as one more adapter of the policy's base scores prompt + completion as the
 * model that saved it does (its adapter alone, the score head at the last token), whatever adapter is
 * active around the call, and loading it leaves the policy's forward unchanged.
 */
class RewardModelScorerTest {
  @TempDir Path tmp;

  @Test
  void scoresEqualTheSavedModelsOwnScoresOnTheSharedBase() throws Exception {
    List<RlPrompt> prompts = TinyPolicy.prompts(3, 4);
    long[][] completions = {{5, 6, 7}, {9}, {11, 12, 60}};
    double[] expected = new double[3];
    Path dir = tmp.resolve("rm");
    try (TinyPolicy rm = new TinyPolicy(Precision.FLOAT32, "rm")) {
      rm.peft.addScoreHead("rm", 1, 5);
      TinyPolicy.perturb(List.of(rm.peft.scoreHead("rm").weight()), 1);
      PeftAdapterFiles.save(rm.peft, "rm", dir, "tiny");
      for (int i = 0; i < 3; i++) {
        try (NDManager s = rm.model.manager().newSubManager(); AdapterScope a = rm.peft.use("rm")) {
          expected[i] = rm.peft.scoreHead("rm").score(rm.model, ModelInput.of(s, new long[][] {concat(prompts.get(i).ids(),
              completions[i])}), 0).toType(DataType.FLOAT64, false).getDouble();
        }
      }
    }
    try (TinyPolicy tp = new TinyPolicy(Precision.FLOAT32, "policy")) {
      RewardModelScorer scorer = RewardModelScorer.load(tp.peft, dir, "reward", 0, false, 2);
      tp.peft.setTrainable("policy");
      List<Scorer.Sample> samples = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        samples.add(new Scorer.Sample(prompts.get(i), completions[i], "", false));
      }
      double[] got;
      try (AdapterScope a = tp.peft.use("policy")) {
        got = scorer.score(samples);
      }
      assertThat(got).containsExactly(expected, Offset.offset(1e-5));
      assertThat(got[0]).isNotEqualTo(got[1]);
      assertThat(tp.peft.trainableAdapters()).containsExactly("policy");
    }
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = new long[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
