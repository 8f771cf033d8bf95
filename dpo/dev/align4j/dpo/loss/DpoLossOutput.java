package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What {@link DpoLoss#compute} returns.
 *
 * @param loss the scalar to minimise: {@code sum_k w_k * mean_B(loss_k)}, with autograd
 * @param perPair {@code sum_k w_k * loss_k}, [B], with autograd ({@code loss = mean(perPair)}); for aot
 *     and aot_unpaired the entries follow the sorted order, not the input pairs
 * @param perType each loss type's per-pair values ([B], after WPO weighting, before its loss weight)
 * @param chosenRewards {@code beta * (pi_w - ref_w)}, [B], detached
 * @param rejectedRewards {@code beta * (pi_l - ref_l)}, [B], detached
 * @param metrics TRL's logged metrics of this batch
 */
public record DpoLossOutput(
    NDArray loss,
    NDArray perPair,
    Map<DpoLossType, NDArray> perType,
    NDArray chosenRewards,
    NDArray rejectedRewards,
    PreferenceMetrics metrics) {}
