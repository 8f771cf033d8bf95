/**
 * Preference-optimisation losses as small pure functions of typed log-prob records: the DPO family
 * of TRL 1.13's {@code DPOTrainer._compute_loss} ({@link dev.align4j.dpo.loss.DpoLoss}), KTO
 * ({@link dev.align4j.dpo.loss.KtoLoss}), ORPO ({@link dev.align4j.dpo.loss.OrpoLoss}) and
 * CPO/SimPO/AlphaPO ({@link dev.align4j.dpo.loss.CpoLoss}), plus the reductions from per-token
 * log-probs to the sequence quantities they take ({@link dev.align4j.dpo.loss.SequenceLogps}).
 *
 * <p>Everything is computed with DJL arrays in the inputs' dtype (float32 or float64) and records
 * autograd when a gradient collector is open; every constant that meets a graph comes from
 * {@code Kernels.scalar}. Outputs are attached to the manager of the first input, so a caller's
 * per-step sub-manager or scope frees them.
 */
package dev.align4j.dpo.loss;
