package dev.align4j.rl.advantage;

import dev.align4j.rl.TokenArrays;
import dev.align4j.rl.reward.RewardClip;
import dev.align4j.rl.reward.ShapedReward;

/**
 * OpenRLHF's {@code experience_maker.py: compute_advantages_and_returns} for one rollout batch:
 * group baselines on the sequence rewards, {@link ShapedReward} (clip, last action token, {@code
 * -kl_coef * KL}), then {@link Gae} or {@link RewardToGo}, then {@link Whitening#global} for the
 * whitened estimators.
 */
public final class OpenRlhfAdvantages {
  private OpenRlhfAdvantages() {}

  /**
   * The options of one call.
   *
   * @param estimator the advantage estimator
   * @param samplesPerPrompt {@code n_samples_per_prompt}: rows {@code g*n .. g*n+n-1} share a prompt
   * @param gamma discount (forced to 1 for the grouped estimators, as OpenRLHF does)
   * @param lambda GAE lambda (GAE only)
   * @param clip reward clip range, or null
   * @param stdNorm divide by the std when whitening (false = {@code advantage.no_std_norm})
   */
  public record Options(AdvantageEstimator estimator, int samplesPerPrompt, double gamma, double lambda,
      RewardClip clip, boolean stdNorm) {
    /** Validates. */
    public Options {
      if (estimator == null) {
        throw new IllegalArgumentException("advantage estimator is null");
      }
      if (samplesPerPrompt < 1 || (estimator.grouped() && samplesPerPrompt < 2)) {
        throw new IllegalArgumentException("estimator " + estimator + " needs samples_per_prompt >= "
            + (estimator.grouped() ? 2 : 1) + ", got " + samplesPerPrompt);
      }
      Gae.requireUnit("gamma", gamma);
      Gae.requireUnit("lambda", lambda);
    }
  }

  /**
   * The sequence rewards after the group baseline (OpenRLHF's "reward shaping"): rloo {@code r - (sum
   * - r) / (n - 1)}; reinforce_baseline and dr_grpo {@code r - mean}; group_norm {@code (r - mean) /
   * (std + 1e-9)} with the Bessel std; gae and reinforce unchanged.
   */
  public static double[] groupBaseline(double[] rewards, AdvantageEstimator estimator, int n) {
    if (rewards.length % n != 0) {
      throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + n);
    }
    double[] out = rewards.clone();
    if (!estimator.grouped()) {
      return out;
    }
    for (int g = 0; g < rewards.length; g += n) {
      double sum = 0;
      for (int k = 0; k < n; k++) {
        sum += rewards[g + k];
      }
      double mean = sum / n;
      double var = 0;
      for (int k = 0; k < n; k++) {
        var += (rewards[g + k] - mean) * (rewards[g + k] - mean);
      }
      double std = Math.sqrt(var / (n - 1));
      for (int k = 0; k < n; k++) {
        double r = rewards[g + k];
        out[g + k] = switch (estimator) {
          case RLOO -> r - (sum - r) / (n - 1);
          case REINFORCE_BASELINE, DR_GRPO -> r - mean;
          case GROUP_NORM -> (r - mean) / (std + 1e-9);
          default -> r;
        };
      }
    }
    return out;
  }

  /**
   * Advantages and returns of a batch.
   *
   * @param rewards sequence rewards {@code [B]} (reward model or rule scores)
   * @param kl per-token KL {@code [B, T]} (zeros when the KL is in the loss or absent)
   * @param klCoef the KL controller's value
   * @param values critic values {@code [B, T]} (GAE only; may be null otherwise)
   * @param actionMask {@code [B, T]}
   */
  public static AdvantagesAndReturns compute(Options o, double[] rewards, double[][] kl, double klCoef,
      double[][] values, boolean[][] actionMask) {
    int b = actionMask.length;
    TokenArrays.requireLength("rewards", rewards, b);
    double[] shaped = groupBaseline(rewards, o.estimator(), o.samplesPerPrompt());
    double[][] tokenRewards = ShapedReward.compute(shaped, klCoef, kl, actionMask, o.clip());
    double[][] adv;
    double[][] ret;
    if (o.estimator() == AdvantageEstimator.GAE) {
      if (values == null) {
        throw new IllegalArgumentException("the gae estimator needs critic values");
      }
      AdvantagesAndReturns ar = Gae.compute(values, tokenRewards, actionMask, o.gamma(), o.lambda());
      adv = ar.advantages();
      ret = ar.returns();
    } else {
      double gamma = o.estimator().grouped() ? 1.0 : o.gamma();
      ret = RewardToGo.compute(tokenRewards, actionMask, gamma);
      adv = new double[b][];
      for (int i = 0; i < b; i++) {
        adv[i] = ret[i].clone();
      }
    }
    if (o.estimator().whitened()) {
      adv = Whitening.global(adv, actionMask, o.stdNorm());
    }
    return new AdvantagesAndReturns(adv, ret);
  }
}
