package dev.align4j.peft.probe;

/**
 * A fitted linear probe: the minimiser of {@link LogisticObjective} (weights and biases) on its
 * training features. Fitting is deterministic (L-BFGS from zero); the biases are centred (with more
 * than two classes a common shift of the biases leaves the objective unchanged, and L-BFGS from zero
 * keeps their sum at zero anyway).
 *
 * @param weights {@code [rows][d]}: one row per class, or one row for two classes
 * @param bias {@code [rows]}
 * @param classes number of classes
 * @param loss the objective at the fit
 * @param gradientMax largest absolute gradient component at the fit
 * @param iterations L-BFGS iterations
 * @param converged whether the gradient tolerance was reached
 */
public record LogisticProbe(
    double[][] weights, double[] bias, int classes, double loss, double gradientMax, int iterations,
    boolean converged) {

  /** L-BFGS settings of {@link #fit(LogisticObjective)}: converged to float64 rounding for probes of hidden states. */
  public static final Lbfgs DEFAULT_SOLVER = new Lbfgs(10, 1000, 1e-9);

  /** Fits with {@link #DEFAULT_SOLVER}. */
  public static LogisticProbe fit(LogisticObjective problem) {
    return fit(problem, DEFAULT_SOLVER);
  }

  /** Minimises {@code problem} from zero with {@code solver}. */
  public static LogisticProbe fit(LogisticObjective problem, Lbfgs solver) {
    Lbfgs.Result r = solver.minimise(problem::evaluate, new double[problem.size()]);
    int rows = problem.rows();
    int d = problem.dim();
    double[][] w = new double[rows][d];
    double[] b = new double[rows];
    for (int k = 0; k < rows; k++) {
      System.arraycopy(r.theta(), k * d, w[k], 0, d);
      b[k] = r.theta()[rows * d + k];
    }
    if (rows > 1) {
      double mean = 0;
      for (double v : b) {
        mean += v;
      }
      mean /= rows;
      for (int k = 0; k < rows; k++) {
        b[k] -= mean;
      }
    }
    return new LogisticProbe(w, b, problem.classes(), r.value(), r.gradientMax(), r.iterations(), r.converged());
  }

  /** The most probable class of one feature row (the lowest index on ties). */
  public int predict(double[] x) {
    double[] z = new double[classes];
    LogisticObjective.logits(flat(), weights.length, weights[0].length, x, z);
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (z[c] > z[best]) {
        best = c;
      }
    }
    return best;
  }

  /** Fraction of rows whose predicted class equals the label. */
  public double accuracy(double[][] x, int[] y) {
    if (x.length == 0) {
      return Double.NaN;
    }
    int hits = 0;
    for (int i = 0; i < x.length; i++) {
      if (predict(x[i]) == y[i]) {
        hits++;
      }
    }
    return (double) hits / x.length;
  }

  /** Parameters as one flat vector, in {@link LogisticObjective}'s layout. */
  public double[] flat() {
    int rows = weights.length;
    int d = weights[0].length;
    double[] theta = new double[rows * (d + 1)];
    for (int k = 0; k < rows; k++) {
      System.arraycopy(weights[k], 0, theta, k * d, d);
      theta[rows * d + k] = bias[k];
    }
    return theta;
  }
}
