package dev.align4j.recipes.experiment;

import java.util.List;

/**
 * What the reward-vs-KL frontier runs: PPO (recipes/ppo_incident.yaml) at each KL coefficient and DPO
 * (recipes/demo_dpo.yaml) at each beta, from the demo's SFT adapter, each evaluated at its last two
 * checkpoints (halfway and at the end) on held-out prompts.
 *
 * @param klCoefs PPO's {@code kl_coef} values
 * @param betas DPO's {@code pref_beta} values
 * @param ppoSteps PPO optimizer steps per run
 * @param dpoSteps DPO optimizer steps per run
 * @param pairs DPO training pairs (built as {@code align4j dpo --demo} builds them)
 * @param evalPrompts held-out prompts evaluated (0: all of the demo's val.jsonl)
 * @param samplesPerPrompt sampled completions per held-out prompt for the KL and the sampled reward
 * @param maxNewTokens longest evaluated completion (the demo's 48)
 * @param seed training and sampling seed
 * @param ppoOverrides further {@code key=value} overrides of the PPO recipe
 * @param dpoOverrides further {@code key=value} overrides of the DPO recipe
 */
public record FrontierConfig(List<Double> klCoefs, List<Double> betas, long ppoSteps, long dpoSteps, int pairs,
    int evalPrompts, int samplesPerPrompt, int maxNewTokens, long seed, List<String> ppoOverrides, List<String> dpoOverrides) {

  /** Validates and copies. */
  public FrontierConfig {
    if (klCoefs.isEmpty() && betas.isEmpty()) {
      throw new IllegalArgumentException("frontier: give at least one kl_coef or one beta");
    }
    for (double k : klCoefs) {
      if (!(k >= 0) || Double.isInfinite(k)) {
        throw new IllegalArgumentException("frontier: kl_coef must be a finite number >= 0, got " + k);
      }
    }
    for (double b : betas) {
      if (!(b > 0) || Double.isInfinite(b)) {
        throw new IllegalArgumentException("frontier: beta must be a finite number > 0, got " + b);
      }
    }
    if (ppoSteps < 2 || dpoSteps < 2) {
      throw new IllegalArgumentException("frontier: PPO and DPO need >= 2 steps (a checkpoint halfway and one at the end),"
          + " got " + ppoSteps + " and " + dpoSteps);
    }
    if (pairs < 1 || evalPrompts < 0 || samplesPerPrompt < 1 || maxNewTokens < 1) {
      throw new IllegalArgumentException("frontier: pairs, samples per prompt and max new tokens must be >= 1, eval"
          + " prompts >= 0");
    }
    klCoefs = List.copyOf(klCoefs);
    betas = List.copyOf(betas);
    ppoOverrides = List.copyOf(ppoOverrides);
    dpoOverrides = List.copyOf(dpoOverrides);
  }

  /** The full experiment (sized for well under 25 minutes on 2 idle cores). */
  public static FrontierConfig full() {
    return new FrontierConfig(List.of(0.02, 0.1, 0.5), List.of(0.05, 0.1, 0.5), 24, 40, 480, 96, 4, 48, 42, List.of(),
        List.of());
  }

  /** A quick look: one PPO and one DPO run, short, on a third of the held-out prompts. */
  public static FrontierConfig quick() {
    return new FrontierConfig(List.of(0.1), List.of(0.1), 8, 10, 160, 32, 2, 48, 42, List.of(), List.of());
  }
}
