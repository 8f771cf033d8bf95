package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/**
 * What {@link KtoLoss#compute} returns.
 *
 * @param loss the mean of {@code losses}, with autograd
 * @param losses the weighted per-example losses, desirable examples first then undesirable ones (TRL's
 *     order), [N], with autograd
 * @param chosenRewards {@code beta * (pi - ref)} of the desirable examples, detached
 * @param rejectedRewards the same for the undesirable examples, detached
 * @param kl the clamped KL estimate that entered the loss (0 for apo_zero_unpaired)
 * @param metrics TRL's logged metrics
 */
public record KtoLossOutput(NDArray loss, NDArray losses, NDArray chosenRewards, NDArray rejectedRewards, double kl,
    KtoMetrics metrics) {}
