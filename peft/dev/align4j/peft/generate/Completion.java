package dev.align4j.peft.generate;

/**
 * One generated continuation.
 *
 * @param tokens the new tokens (an EOS that ended it included)
 * @param reason why it stopped
 * @param samplingLogProbs per token, its natural-log probability under the distribution it was
 *     picked from: {@code log_softmax} of the processed scores (repetition penalty, temperature,
 *     top-k, top-p, min-p), as transformers' {@code compute_transition_scores(..., normalize_logits=True)}
 * @param modelLogProbs per token, its log-probability under the plain model: {@code log_softmax} of
 *     the raw logits, what a separate forward over prompt + completion gives (PPO's old log-probs)
 */
public record Completion(long[] tokens, FinishReason reason, float[] samplingLogProbs, float[] modelLogProbs) {}
