package dev.align4j.peft.generate;

/**
 * One generated continuation.
 *
 * @param tokens the new tokens (an EOS that ended it included)
 * @param reason why it stopped
 */
public record Completion(long[] tokens, FinishReason reason) {}
