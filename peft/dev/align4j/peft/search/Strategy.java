package dev.align4j.peft.search;

import java.util.List;
import java.util.SplittableRandom;

/**
 * How the next trial is chosen. A proposal is a pure function of the search seed, the trial index
 * and the trials before it (in order), so a resumed search proposes exactly what the interrupted one
 * would have.
 */
public sealed interface Strategy permits Strategy.Grid, Strategy.Random, BayesianSearch, GeneticSearch {
  /** The unit-cube point of trial {@code index}, given the finished trials {@code 0 .. index-1}. */
  double[] propose(int index, List<Observation> history, SearchSpace space, long seed);

  /** How many trials this strategy can propose (the grid's size), or {@link Integer#MAX_VALUE}. */
  default int maxTrials(SearchSpace space) {
    return Integer.MAX_VALUE;
  }

  /** Every combination of each key's grid values, in order ({@link SearchSpace#grid}). */
  record Grid(int points) implements Strategy {
    /** At least one point per continuous key. */
    public Grid {
      if (points < 1) {
        throw new IllegalArgumentException("grid points must be >= 1, got " + points);
      }
    }

    @Override
    public double[] propose(int index, List<Observation> history, SearchSpace space, long seed) {
      List<double[]> g = space.grid(points);
      if (index >= g.size()) {
        throw new IllegalArgumentException("the grid has " + g.size() + " points, trial " + index + " asked");
      }
      return g.get(index);
    }

    @Override
    public int maxTrials(SearchSpace space) {
      return space.grid(points).size();
    }
  }

  /** Independent uniform points of the unit cube. */
  record Random() implements Strategy {
    @Override
    public double[] propose(int index, List<Observation> history, SearchSpace space, long seed) {
      return uniform(rng(seed, index, 0), space.dims());
    }
  }

  /** The random stream of trial {@code index} for purpose {@code stream}. */
  static SplittableRandom rng(long seed, int index, int stream) {
    return new SplittableRandom(Seeds.derive(seed, index, stream));
  }

  /** A uniform point of {@code [0, 1]^d}. */
  static double[] uniform(SplittableRandom r, int d) {
    double[] x = new double[d];
    for (int i = 0; i < d; i++) {
      x[i] = r.nextDouble();
    }
    return x;
  }
}
