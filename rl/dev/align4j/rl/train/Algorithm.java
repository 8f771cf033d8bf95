package dev.align4j.rl.train;

import dev.align4j.rl.advantage.AdvantageEstimator;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.LossReduction;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.reward.RewardClip;

/** The estimators on the shared rollout-and-update loop (GRPO, RLOO, PPO and its critic-free variants), each with its own options. */
public sealed interface Algorithm permits Algorithm.Grpo, Algorithm.Rloo, Algorithm.Ppo {
  /** Whether a critic (value adapter and head) is needed. */
  default boolean needsCritic() {
    return false;
  }

  /** Completions per prompt. */
  int numGenerations();

  /**
   * Whether the advantages depend on the policy's log-probs at sampling time, i.e. a KL penalty is
   * taken off the reward before the update (RLOO's {@code beta}, PPO's {@code kl_coef}); then the
   * rollout must compute them before the update. GRPO's KL is in the loss: never.
   *
   * @param klCoef the KL coefficient of this rollout (PPO: the controller's value; a negative one counts
   *     as 0, as {@link dev.align4j.rl.reward.ShapedReward} does)
   */
  default boolean rewardUsesPolicyLogProbs(double klCoef) {
    return false;
  }

  /**
   * GRPO as TRL's {@code GRPOTrainer}: group-normalised advantages, the clipped token loss with an
   * optional k3 KL term, {@code loss_type} aggregations.
   *
   * @param numGenerations group size, at least 2
   * @param scale {@code scale_rewards}: group, batch or none
   * @param loss the loss options (beta, epsilons, aggregation, max completion length)
   */
  record Grpo(int numGenerations, ScaleRewards scale, GrpoLossConfig loss) implements Algorithm {
    /** Validates. */
    public Grpo {
      if (numGenerations < 2) {
        throw new IllegalArgumentException("GRPO needs num_generations >= 2, got " + numGenerations);
      }
    }
  }

  /**
   * RLOO as TRL's {@code RLOOTrainer}: k1 KL summed over tokens taken off the reward, leave-one-out
   * baseline, sequence-level clipped ratio.
   *
   * @param beta KL coefficient (TRL 0.05)
   * @param clip reward clip, or null
   * @param normalize {@code normalize_advantages}
   */
  record Rloo(int numGenerations, double beta, RewardClip clip, boolean normalize, double epsilonLow,
      double epsilonHigh) implements Algorithm {
    /** Validates. */
    public Rloo {
      if (numGenerations < 2) {
        throw new IllegalArgumentException("RLOO needs num_generations >= 2, got " + numGenerations);
      }
    }

    @Override
    public boolean rewardUsesPolicyLogProbs(double klCoef) {
      return beta != 0;
    }
  }

  /**
   * PPO as OpenRLHF's experience maker: the reward at the last token minus {@code kl_coef * KL} per
   * token, then the advantage estimator: GAE with a critic (PPO), or a critic-free one (REINFORCE++
   * with {@code reinforce}: reward-to-go and global whitening; {@code reinforce_baseline}, {@code rloo},
   * {@code group_norm}, {@code dr_grpo}: group baselines over {@code numGenerations} samples per
   * prompt); clipped policy loss and, with a critic, the clipped value loss.
   *
   * @param estimator the advantage estimator (OpenRLHF {@code advantage_estimator})
   * @param numGenerations samples per prompt (at least 2 for the grouped estimators)
   * @param gamma GAE / reward-to-go discount
   * @param lambda GAE lambda
   * @param klEstimator k1, k2 or k3 for the reward penalty
   * @param clip reward clip, or null
   * @param policy policy-loss options
   * @param value value-loss options (same reduction as the policy loss)
   * @param vfCoef weight of the value loss
   * @param criticWarmupRollouts rollouts during which only the critic learns (0 without a critic)
   */
  record Ppo(AdvantageEstimator estimator, int numGenerations, double gamma, double lambda, KlEstimator klEstimator,
      RewardClip clip, PolicyLossConfig policy, ValueLoss.Config value, double vfCoef, int criticWarmupRollouts)
      implements Algorithm {
    /** Validates. */
    public Ppo {
      if (policy.reduction() != value.reduction() || policy.sequenceRatio()) {
        throw new IllegalArgumentException("PPO: the policy and value losses need the same reduction (token or"
            + " sequence mean), and sequence ratios (GSPO) are not supported with a critic");
      }
      if (!(vfCoef >= 0) || criticWarmupRollouts < 0) {
        throw new IllegalArgumentException("vf_coef must be >= 0 and critic_warmup_steps >= 0");
      }
      if (!estimator.needsCritic() && criticWarmupRollouts > 0) {
        throw new IllegalArgumentException("critic_warmup_steps needs a critic (advantage_estimator gae), got "
            + estimator.name().toLowerCase(java.util.Locale.ROOT));
      }
      if (numGenerations < (estimator.grouped() ? 2 : 1)) {
        throw new IllegalArgumentException("advantage_estimator " + estimator.name().toLowerCase(java.util.Locale.ROOT)
            + " needs num_generations >= " + (estimator.grouped() ? 2 : 1) + ", got " + numGenerations);
      }
    }

    /** PPO with GAE and a critic, one sample per prompt. */
    public Ppo(double gamma, double lambda, KlEstimator klEstimator, RewardClip clip, PolicyLossConfig policy,
        ValueLoss.Config value, double vfCoef, int criticWarmupRollouts) {
      this(AdvantageEstimator.GAE, 1, gamma, lambda, klEstimator, clip, policy, value, vfCoef, criticWarmupRollouts);
    }

    @Override
    public boolean needsCritic() {
      return estimator.needsCritic();
    }

    @Override
    public boolean rewardUsesPolicyLogProbs(double klCoef) {
      return klCoef > 0;
    }

    /** Units of the loss: tokens (token mean) or sequences. */
    public LossReduction reduction() {
      return policy.reduction();
    }
  }
}
