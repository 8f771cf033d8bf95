package dev.align4j.peft.train;

import dev.align4j.peft.model.ModelInput;
import java.util.List;

/**
 * An {@link Objective} over preference pairs whose chosen and rejected rows go through one forward
 * (reward modelling, DPO and its family): the loss is a sum over pairs, which the engine divides by
 * the effective batch's pairs (so accumulation is exact); the tokens/s figure counts both sides of
 * every pair; the forward's input is the batch's own.
 *
 * @param <E> one pair
 * @param <B> a collated micro-batch of pairs
 */
public interface PairObjective<E extends PairObjective.Pair, B extends PairObjective.Batch> extends Objective<E, B> {
  /** A training pair. */
  interface Pair {
    /** Tokens both sides of the pair feed the model (padding excluded). */
    long tokens();
  }

  /** A collated micro-batch of pairs. */
  interface Batch {
    /** The one forward's input: the chosen rows, then the rejected rows. */
    ModelInput input();
  }

  @Override
  default long count(List<E> examples) {
    return examples.size();
  }

  @Override
  default String countName() {
    return "pairs";
  }

  @Override
  default long tokens(List<E> examples) {
    long n = 0;
    for (E p : examples) {
      n += p.tokens();
    }
    return n;
  }

  @Override
  default ModelInput input(B batch) {
    return batch.input();
  }
}
