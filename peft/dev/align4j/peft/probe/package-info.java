/**
 * Linear probes on frozen hidden states: L2-regularised (multinomial) logistic regression fitted
 * deterministically by L-BFGS on host doubles, feature standardisation, pooling of token states,
 * hidden-state extraction per layer and the accuracy-by-layer plot. Shared by every stage.
 */
package dev.align4j.peft.probe;
