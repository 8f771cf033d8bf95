package dev.align4j.rl.rollout;

import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;

/**
 * Which adapters of one base serve which role, so that policy, reference, value (and a reward model)
 * share a single copy of the base weights.
 *
 * @param peft the base with its named adapters
 * @param policy the adapter that samples and trains
 * @param reference the frozen adapter of the reference policy (the SFT adapter), or null for the base
 *     with every adapter off
 * @param value the value adapter (PPO), or null when the estimator needs no critic (GRPO, RLOO)
 */
public record PolicyRoles(PeftModel peft, String policy, String reference, String value) {

  /** Checks that the named adapters exist and that the value adapter carries a score head. */
  public PolicyRoles {
    if (peft == null || policy == null) {
      throw new IllegalArgumentException("a policy adapter is required");
    }
    peft.adapter(policy);
    if (reference != null) {
      peft.adapter(reference);
      if (reference.equals(policy)) {
        throw new IllegalArgumentException("the reference adapter must not be the policy adapter '" + policy + "'");
      }
    }
    if (value != null && peft.scoreHead(value) == null) {
      throw new IllegalArgumentException("value adapter '" + value + "' has no score head (PeftModel.addScoreHead)");
    }
  }

  /** Forward as the policy. */
  public AdapterScope usePolicy() {
    return peft.use(policy);
  }

  /** Forward as the reference policy: the reference adapter alone, or the bare base. */
  public AdapterScope useReference() {
    return reference == null ? peft.disabled() : peft.use(reference);
  }

  /**
   * Forward as the critic's trunk (requires {@link #value}): the value adapter on top of the reference
   * adapter when there is one, so that a critic starts from the SFT model as OpenRLHF's does.
   */
  public AdapterScope useValue() {
    if (value == null) {
      throw new IllegalStateException("no value adapter");
    }
    return reference == null ? peft.use(value) : peft.use(reference, value);
  }

  /** The critic's head, or null without a value adapter. */
  public ScoreHead valueHead() {
    return value == null ? null : peft.scoreHead(value);
  }

  /** Whether there is a critic. */
  public boolean hasValue() {
    return value != null;
  }
}
