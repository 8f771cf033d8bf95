package dev.align4j.peft.search;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bayesian optimisation: the first {@code initialTrials} points are uniform random; after that a
 * {@link GaussianProcess} is fitted to the finished trials (losses standardised to mean 0 and
 * variance 1; hyper-parameters by maximum marginal likelihood over a grid, or a fixed length scale)
 * and the next point maximises {@link ExpectedImprovement} over {@code candidates} random points,
 * half of them uniform and half Gaussian perturbations (sd 0.1) of the best point so far, so the
 * search can refine a good region as well as explore. Discrete keys are searched in their unit-cube
 * relaxation (the cell a coordinate falls in), so points that decode alike simply share a value.
 * Failed trials are left out of the model.
 *
 * @param lengthScale a fixed length scale, or NaN to fit it (and the noise) by marginal likelihood
 * @param noiseVariance the observation noise used with a fixed length scale
 */
public record BayesianSearch(int initialTrials, int candidates, Kernel kernel, double xi, double lengthScale,
    double noiseVariance) implements Strategy {
  /** Checks the settings. */
  public BayesianSearch {
    if (initialTrials < 1 || candidates < 1 || xi < 0) {
      throw new IllegalArgumentException("bayesian needs initial_trials >= 1, candidates >= 1, xi >= 0");
    }
    if (!Double.isNaN(lengthScale) && !(lengthScale > 0)) {
      throw new IllegalArgumentException("length_scale must be > 0 (or 'fitted'), got " + lengthScale);
    }
    if (!(noiseVariance >= 0)) {
      throw new IllegalArgumentException("noise must be >= 0, got " + noiseVariance);
    }
  }

  /** Matern 5/2, fitted hyper-parameters, {@code xi = 0.01}, 2,000 candidates. */
  public static BayesianSearch defaults(int initialTrials) {
    return new BayesianSearch(initialTrials, 2000, Kernel.MATERN52, 0.01, Double.NaN, 1e-6);
  }

  @Override
  public double[] propose(int index, List<Observation> history, SearchSpace space, long seed) {
    List<Observation> ok = history.stream().filter(Observation::ok).toList();
    SplittableRandom r = Strategy.rng(seed, index, 1);
    if (index < initialTrials || ok.size() < 2) {
      return Strategy.uniform(r, space.dims());
    }
    int n = ok.size();
    double[][] x = new double[n][];
    double[] y = new double[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      x[i] = ok.get(i).point();
      y[i] = ok.get(i).loss();
      mean += y[i] / n;
    }
    double var = 0;
    for (double v : y) {
      var += (v - mean) * (v - mean) / n;
    }
    double sd = var > 0 ? Math.sqrt(var) : 1;
    double best = Double.POSITIVE_INFINITY;
    double[] bestX = null;
    for (int i = 0; i < n; i++) {
      y[i] = (y[i] - mean) / sd;
      if (y[i] < best) {
        best = y[i];
        bestX = x[i];
      }
    }
    GaussianProcess gp = Double.isNaN(lengthScale) ? GaussianProcess.fitted(x, y, kernel)
        : GaussianProcess.fit(x, y, kernel, lengthScale, 1.0, Math.max(noiseVariance, 1e-10));
    double[] arg = null;
    double top = Double.NEGATIVE_INFINITY;
    for (double[] c : candidates(r, bestX, space.dims())) {
      GaussianProcess.Prediction p = gp.predict(c);
      double ei = ExpectedImprovement.of(p.mean(), p.std(), best, xi);
      if (ei > top) {
        top = ei;
        arg = c;
      }
    }
    return arg;
  }

  private List<double[]> candidates(SplittableRandom r, double[] best, int d) {
    List<double[]> out = new ArrayList<>(candidates);
    for (int i = 0; i < candidates; i++) {
      if (i % 2 == 0) {
        out.add(Strategy.uniform(r, d));
      } else {
        double[] c = new double[d];
        for (int j = 0; j < d; j++) {
          c[j] = Math.max(0, Math.min(1, best[j] + 0.1 * gaussian(r)));
        }
        out.add(c);
      }
    }
    return out;
  }

  /** A standard normal draw (Box-Muller; SplittableRandom has no nextGaussian on Java 17). */
  static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
