package dev.align4j.peft.search;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A generational genetic algorithm on the unit cube: trials come in generations of {@code population};
 * the first generation is uniform random, and each individual of generation {@code g > 0} is bred
 * from generation {@code g - 1}: two parents by tournament selection (the best of {@code tournament}
 * individuals drawn with replacement), uniform crossover with probability {@code crossoverRate}
 * (else a copy of the first parent), then each gene mutated with probability {@code mutationRate} by
 * a Gaussian step of sd {@code mutationScale}, reflected into [0, 1]. Failed trials rank last.
 */
public record GeneticSearch(int population, int tournament, double crossoverRate, double mutationRate,
    double mutationScale) implements Strategy {
  /** Checks the settings. */
  public GeneticSearch {
    if (population < 2 || tournament < 1) {
      throw new IllegalArgumentException("genetic needs population >= 2 and tournament >= 1");
    }
    for (double p : new double[] {crossoverRate, mutationRate}) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("crossover_rate and mutation_rate must be in [0, 1], got " + p);
      }
    }
    if (!(mutationScale > 0)) {
      throw new IllegalArgumentException("mutation_scale must be > 0, got " + mutationScale);
    }
  }

  @Override
  public double[] propose(int index, List<Observation> history, SearchSpace space, long seed) {
    SplittableRandom r = Strategy.rng(seed, index, 2);
    int generation = index / population;
    if (generation == 0) {
      return Strategy.uniform(r, space.dims());
    }
    List<Observation> parents = history.subList((generation - 1) * population, generation * population);
    double[] a = select(parents, tournament, r).point();
    double[] b = select(parents, tournament, r).point();
    double[] child = r.nextDouble() < crossoverRate ? crossover(a, b, r) : a.clone();
    return mutate(child, mutationRate, mutationScale, r);
  }

  /** Tournament selection: the lowest loss among {@code size} draws with replacement (failed ones lose). */
  public static Observation select(List<Observation> pool, int size, SplittableRandom r) {
    Observation best = null;
    for (int i = 0; i < size; i++) {
      Observation o = pool.get(r.nextInt(pool.size()));
      if (best == null || rank(o) < rank(best)) {
        best = o;
      }
    }
    return best;
  }

  private static double rank(Observation o) {
    return o.ok() ? o.loss() : Double.POSITIVE_INFINITY;
  }

  /** Uniform crossover: each gene from either parent with probability 1/2. */
  public static double[] crossover(double[] a, double[] b, SplittableRandom r) {
    double[] c = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      c[i] = r.nextBoolean() ? a[i] : b[i];
    }
    return c;
  }

  /** Gaussian mutation of each gene with probability {@code rate}, reflected at 0 and 1. */
  public static double[] mutate(double[] x, double rate, double scale, SplittableRandom r) {
    double[] c = x.clone();
    for (int i = 0; i < c.length; i++) {
      if (r.nextDouble() < rate) {
        double v = c[i] + scale * BayesianSearch.gaussian(r);
        v = Math.abs(v);                 // reflect at 0
        v = 1 - Math.abs(1 - (v % 2));   // fold into [0, 1] (reflect at 1, periodically)
        c[i] = v;
      }
    }
    return c;
  }
}
