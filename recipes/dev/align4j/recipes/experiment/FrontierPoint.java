package dev.align4j.recipes.experiment;

import dev.align4j.recipes.eval.PolicyEval;

/**
 * One point of the frontier: a policy (SFT, or a PPO/DPO run at one setting after {@code step} steps)
 * and its measurement.
 *
 * @param method {@code SFT}, {@code PPO} or {@code DPO}
 * @param param the swept key ({@code kl_coef}, {@code pref_beta}; empty for SFT)
 * @param value its value (NaN for SFT)
 * @param step optimizer steps of the run (0 for SFT)
 * @param eval the measurement
 */
public record FrontierPoint(String method, String param, double value, long step, PolicyEval eval) {

  /** The run this point belongs to, e.g. {@code PPO kl_coef=0.1} ({@code SFT} alone). */
  public String run() {
    return param.isEmpty() ? method : method + " " + param + "=" + FrontierReport.num(value);
  }
}
