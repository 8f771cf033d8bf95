/**
 * Hyper-parameter search maths, independent of any stage or CLI: the search space mapped onto the
 * unit cube ({@link dev.align4j.peft.search.Param}, {@link dev.align4j.peft.search.SearchSpace}), the
 * proposal strategies (grid, random, Bayesian optimisation with a Gaussian process and expected
 * improvement, genetic), and the early-stopping rules for bad trials (median rule, successive
 * halving). Every strategy minimises; a maximised metric is negated by the caller
 * ({@link dev.align4j.peft.search.Direction}).
 */
package dev.align4j.peft.search;
