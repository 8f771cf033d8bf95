package dev.align4j.peft.probe;

import java.util.Arrays;

/**
 * The probe's objective: mean cross-entropy of a linear softmax classifier plus an L2 penalty on the
 * weights (not the biases),
 *
 * <pre>  f(W, b) = (1/n) sum_i -log softmax(W x_i + b)[y_i] + (l2 / 2) ||W||^2</pre>
 *
 * <p>scikit-learn's {@code LogisticRegression(C=1 / (l2 n))} minimises {@code n} times the same.
 * With more than two classes there is one row of {@code W} per class (multinomial); with two, one row
 * and the logits {@code [0, w.x + b]} (the sigmoid form, as scikit-learn's binary case).
 *
 * <p>Parameters are one flat vector: {@code rows x d} weights row-major, then {@code rows} biases.
 *
 * @param x features {@code [n][d]}
 * @param y class indices in {@code [0, classes)}
 * @param classes number of classes, >= 2
 * @param l2 penalty strength, >= 0
 */
public record LogisticObjective(double[][] x, int[] y, int classes, double l2) {
  public LogisticObjective {
    if (classes < 2) {
      throw new IllegalArgumentException("a probe needs at least 2 classes, got " + classes);
    }
    if (x.length == 0 || x.length != y.length) {
      throw new IllegalArgumentException("features (" + x.length + " rows) and labels (" + y.length
          + ") must be non-empty and of one length");
    }
    if (!(l2 >= 0) || Double.isInfinite(l2)) {
      throw new IllegalArgumentException("l2 must be a finite number >= 0, got " + l2);
    }
    int d = x[0].length;
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != d) {
        throw new IllegalArgumentException("feature row " + i + " has " + x[i].length + " values, expected " + d);
      }
      if (y[i] < 0 || y[i] >= classes) {
        throw new IllegalArgumentException("label " + i + " is " + y[i] + ", expected [0, " + classes + ")");
      }
    }
  }

  /** Weight rows: {@code classes}, or 1 for two classes. */
  public int rows() {
    return rows(classes);
  }

  /** Weight rows for {@code classes} classes. */
  public static int rows(int classes) {
    return classes == 2 ? 1 : classes;
  }

  /** Feature dimension. */
  public int dim() {
    return x[0].length;
  }

  /** Length of the flat parameter vector. */
  public int size() {
    return rows() * (dim() + 1);
  }

  /** Value and gradient at a flat parameter vector. */
  public record Evaluation(double value, double[] gradient) {}

  /** The objective and its gradient at {@code theta}. */
  public Evaluation evaluate(double[] theta) {
    int rows = rows();
    int d = dim();
    int n = x.length;
    if (theta.length != size()) {
      throw new IllegalArgumentException("parameter vector has " + theta.length + " values, expected " + size());
    }
    double[] g = new double[theta.length];
    double loss = 0;
    double[] z = new double[classes];
    for (int i = 0; i < n; i++) {
      logits(theta, rows, d, x[i], z);
      double lse = logSumExp(z);
      loss += lse - z[y[i]];
      // d(-log p_y)/dz_c = p_c - [c == y]; row r carries class c = r (multinomial) or 1 (binary)
      for (int r = 0; r < rows; r++) {
        int c = rows == 1 ? 1 : r;
        double coef = Math.exp(z[c] - lse) - (c == y[i] ? 1 : 0);
        int off = r * d;
        for (int j = 0; j < d; j++) {
          g[off + j] += coef * x[i][j];
        }
        g[rows * d + r] += coef;
      }
    }
    double penalty = 0;
    for (int k = 0; k < rows * d; k++) {
      penalty += theta[k] * theta[k];
    }
    for (int k = 0; k < g.length; k++) {
      g[k] /= n;
      if (k < rows * d) {
        g[k] += l2 * theta[k];
      }
    }
    return new Evaluation(loss / n + 0.5 * l2 * penalty, g);
  }

  /** Logits {@code z[classes]} of one feature row (binary: {@code z[0] = 0}). */
  static void logits(double[] theta, int rows, int d, double[] xi, double[] z) {
    Arrays.fill(z, 0);
    for (int r = 0; r < rows; r++) {
      double s = theta[rows * d + r];
      int off = r * d;
      for (int j = 0; j < d; j++) {
        s += theta[off + j] * xi[j];
      }
      z[rows == 1 ? 1 : r] = s;
    }
  }

  /** {@code log sum exp(z)}, stable. */
  static double logSumExp(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double s = 0;
    for (double v : z) {
      s += Math.exp(v - max);
    }
    return max + Math.log(s);
  }
}
