package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.train.PairObjective;

/**
 * A collated micro-batch as TRL's {@code DataCollatorForPreference} makes it: {@code [chosen;
 * rejected]} rows (2B of them), each prompt+completion cut to {@code max_length}, right-padded.
 *
 * @param input ids {@code [2B, T]}, the first B rows chosen, the next B rejected
 * @param completionMask {@code [2B, T-1]} 1 where token t+1 is a completion token (TRL's shifted
 *     {@code completion_mask}), float32
 * @param logpWeights {@code [2B, T-1]} the weight of each token's log-prob in the sequence sum: the
 *     completion mask, or with LD-DPO 1 on the first min(len_c, len_r) completion tokens and {@code
 *     ld_alpha} on the rest; float32
 * @param completionLengths completion tokens per row after truncation (TRL's unshifted {@code
 *     completion_mask.sum(1)}), {@code 2B} values
 * @param ref reference log-probs per row ({@code 2B}: chosen then rejected) from the cache, or null
 * @param pairs B
 * @param tokens real (unpadded) tokens in the batch
 */
public record DpoBatch(ModelInput input, NDArray completionMask, NDArray logpWeights, int[] completionLengths,
    double[] ref, int pairs, long tokens) implements PairObjective.Batch {}
