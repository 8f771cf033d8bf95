package dev.align4j.rl.train;

import dev.align4j.rl.TokenArrays;
import dev.align4j.rl.advantage.AdvantagesAndReturns;
import dev.align4j.rl.advantage.GroupAdvantages;
import dev.align4j.rl.advantage.GrpoAdvantages;
import dev.align4j.rl.advantage.OpenRlhfAdvantages;
import dev.align4j.rl.advantage.RlooAdvantages;
import dev.align4j.rl.kl.ApproxKl;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.reward.MissingEosPenalty;
import dev.align4j.rl.rollout.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Rollout} into {@link Experience}s with the algorithm's advantages (and PPO's
 * returns), plus the rollout's metrics: {@code objective/scores} (mean raw score), {@code
 * objective/kl} (mean over completions of the summed k1 KL to the reference, as TRL's PPO trainer
 * logged it), {@code objective/rlhf_reward} (score minus {@code kl_coef} times that KL), {@code
 * reward_std}, {@code frac_reward_zero_std} (group estimators), {@code completions/mean_length},
 * {@code completions/eos_rate} and {@code kl_coef}.
 */
public final class ExperienceMaker {
  /** A rollout's experiences and metrics. */
  public record Made(List<Experience> experiences, Map<String, Double> metrics) {}

  private ExperienceMaker() {}

  /**
   * @param klCoef the KL coefficient now (PPO: the controller's value; GRPO/RLOO: beta)
   * @param missingEosPenalty subtracted from the score of a completion without EOS (0: none)
   */
  public static Made make(Algorithm algorithm, Rollout r, double klCoef, double missingEosPenalty) {
    int b = r.size();
    boolean[][] mask = mask(r);
    boolean sampled = r.hasLogProbs();
    if (!sampled && algorithm.rewardUsesPolicyLogProbs(klCoef)) {
      throw new IllegalArgumentException("the rollout has no policy log-probs, but the KL penalty in this algorithm's"
          + " reward (kl_coef/beta " + klCoef + ") needs them before the update");
    }
    double[] scores = missingEosPenalty == 0 ? r.scores().clone()
        : MissingEosPenalty.apply(r.scores(), r.eos(), missingEosPenalty);
    double[] seqKl = sampled ? sequenceKl(r.logProbs(), r, mask) : null;
    Map<String, Double> m = new LinkedHashMap<>();
    double meanScore = nanMean(scores);
    m.put("objective/scores", meanScore);
    // without the policy's log-probs yet: NaN here, filled in by completeKl after the update
    putKl(m, seqKl, meanScore, klCoef);
    m.put("reward_std", nanStd(scores));
    m.put("completions/mean_length", r.meanLength());
    m.put("completions/eos_rate", r.eosRate());
    m.put("kl_coef", klCoef);
    List<Experience> out = new ArrayList<>();
    if (algorithm instanceof Algorithm.Ppo p) {
      // kl_coef 0 (or below) takes nothing off the reward: zeros stand in for the KL when it was not sampled
      double[][] kl = sampled ? ApproxKl.perToken(r.logProbs(), r.refLogProbs(), p.klEstimator())
          : TokenArrays.zeros(b, r.width());
      AdvantagesAndReturns ar = OpenRlhfAdvantages.compute(
          new OpenRlhfAdvantages.Options(p.estimator(), p.numGenerations(), p.gamma(), p.lambda(), p.clip(), true),
          scores, kl, klCoef, r.values(), mask);
      for (int i = 0; i < b; i++) {
        int n = r.length(i);
        out.add(new Experience(r.prompts().get(i).ids(), r.completions().get(i), oldLogp(r, i),
            head(r.refLogProbs()[i], n), Double.NaN, head(ar.advantages()[i], n), head(ar.returns()[i], n),
            r.values() == null ? null : head(r.values()[i], n)));
      }
      return new Made(out, m);
    }
    GroupAdvantages g;
    boolean keepRef;
    if (algorithm instanceof Algorithm.Grpo grpo) {
      g = GrpoAdvantages.compute(scores, grpo.numGenerations(), grpo.scale());
      keepRef = grpo.loss().beta() != 0;
    } else {
      Algorithm.Rloo rloo = (Algorithm.Rloo) algorithm;
      g = RlooAdvantages.compute(scores, rloo.beta() == 0 ? null : seqKl,
          new RlooAdvantages.Options(rloo.numGenerations(), rloo.beta(), rloo.clip(), rloo.normalize()));
      keepRef = false;
    }
    int zero = 0;
    for (boolean z : g.stdIsZero()) {
      zero += z ? 1 : 0;
    }
    m.put("frac_reward_zero_std", b == 0 ? 0 : (double) zero / b);
    for (int i = 0; i < b; i++) {
      int n = r.length(i);
      out.add(new Experience(r.prompts().get(i).ids(), r.completions().get(i), oldLogp(r, i),
          keepRef ? head(r.refLogProbs()[i], n) : null, g.advantages()[i], null, null, null));
    }
    return new Made(out, m);
  }

  /**
   * Completes a rollout's KL figures ({@code objective/kl}, {@code objective/rlhf_reward}) from the
   * policy's log-probs computed after it: those of the one update whose forward stood in for the
   * skipped sampling-time policy forward (the same parameters).
   *
   * @param metrics the {@link Made#metrics} of {@code r}, updated in place
   * @param logProbs {@code [B][T]} the policy's log-probs of {@code r}'s completion tokens (T at least
   *     the longest completion; entries past a completion are ignored)
   */
  public static void completeKl(Map<String, Double> metrics, Rollout r, double[][] logProbs, double klCoef) {
    double[][] lp = new double[r.size()][r.width()];
    for (int i = 0; i < r.size(); i++) {
      System.arraycopy(logProbs[i], 0, lp[i], 0, r.length(i));
    }
    putKl(metrics, sequenceKl(lp, r, mask(r)), metrics.get("objective/scores"), klCoef);
  }

  /** Summed k1 KL to the reference per completion. */
  private static double[] sequenceKl(double[][] logProbs, Rollout r, boolean[][] mask) {
    return TokenArrays.rowSums(ApproxKl.perToken(logProbs, r.refLogProbs(), KlEstimator.K1), mask);
  }

  /** {@code objective/kl} (mean over completions) and {@code objective/rlhf_reward}; NaN without seqKl. */
  private static void putKl(Map<String, Double> m, double[] seqKl, double meanScore, double klCoef) {
    double meanKl = seqKl == null ? Double.NaN : Arrays.stream(seqKl).average().orElse(0);
    m.put("objective/kl", meanKl);
    m.put("objective/rlhf_reward", meanScore - klCoef * meanKl);
  }

  private static double[] oldLogp(Rollout r, int i) {
    return r.hasLogProbs() ? head(r.logProbs()[i], r.length(i)) : null;
  }

  static boolean[][] mask(Rollout r) {
    boolean[][] out = new boolean[r.size()][r.width()];
    for (int i = 0; i < r.size(); i++) {
      for (int j = 0; j < r.length(i); j++) {
        out[i][j] = true;
      }
    }
    return out;
  }

  private static double[] head(double[] x, int n) {
    return Arrays.copyOf(x, n);
  }

  private static double nanMean(double[] x) {
    double s = 0;
    int n = 0;
    for (double v : x) {
      if (!Double.isNaN(v)) {
        s += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  private static double nanStd(double[] x) {
    double mean = nanMean(x);
    double s = 0;
    int n = 0;
    for (double v : x) {
      if (!Double.isNaN(v)) {
        s += (v - mean) * (v - mean);
        n++;
      }
    }
    return n < 2 ? 0 : Math.sqrt(s / (n - 1));
  }
}
