package dev.align4j.dpo;

/**
 * A collated KTO micro-batch of N examples.
 *
 * @param main prompt+completion rows (N)
 * @param kl prompt+mismatched-completion rows (N), for the KL estimate
 * @param desirable each example's label
 * @param ref reference log-probs of the completions from the cache ({@code N}), or null
 * @param refKl reference log-probs of the mismatched completions from the cache, or null
 */
public record KtoBatch(DpoBatch main, DpoBatch kl, boolean[] desirable, double[] ref, double[] refKl) {}
