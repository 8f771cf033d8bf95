package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/** A chosen-side and a rejected-side array of the same shape (e.g. LD-DPO sequence log-probs, [B]). */
public record ChosenRejected(NDArray chosen, NDArray rejected) {}
