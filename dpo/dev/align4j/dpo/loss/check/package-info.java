/**
 * Cross-checks of the losses against TRL: {@link dev.align4j.dpo.loss.check.LossCaseRunner} runs the cases
 * that {@code src/test/resources/dpo/make_loss_goldens.py} writes (random logits, a loss config) through
 * align4j's reductions and losses, for the JUnit goldens test and the live interop check.
 */
package dev.align4j.dpo.loss.check;
