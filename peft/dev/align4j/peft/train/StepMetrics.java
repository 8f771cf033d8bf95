package dev.align4j.peft.train;

/**
 * What one optimizer step did.
 *
 * @param step steps completed after this one (1-based)
 * @param loss mean next-token loss over the effective batch's target tokens
 * @param lr learning rate used
 * @param gradNorm global gradient norm before clipping
 * @param targetTokens trained tokens in the effective batch
 * @param tokensPerSecond all tokens (padding excluded) processed per second
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, long targetTokens, double tokensPerSecond) {}
