/**
 * Reward modelling: a scalar score head over the decoder and the pairwise Bradley-Terry loss (to come).
 */
package dev.align4j.reward;
