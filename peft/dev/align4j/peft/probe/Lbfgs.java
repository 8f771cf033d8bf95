package dev.align4j.peft.probe;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/**
 * Limited-memory BFGS (Nocedal and Wright, Alg. 7.4 and 7.5) with a backtracking Armijo line search,
 * on host doubles. Deterministic: the same problem gives the same iterates bit for bit. Meant for
 * smooth convex objectives such as {@link LogisticObjective}.
 *
 * @param memory curvature pairs kept, > 0
 * @param maxIterations iterations at most, > 0
 * @param gradientTolerance stop when the largest gradient component is at most this, >= 0
 */
public record Lbfgs(int memory, int maxIterations, double gradientTolerance) {
  public Lbfgs {
    if (memory <= 0 || maxIterations <= 0) {
      throw new IllegalArgumentException("memory and maxIterations must be > 0");
    }
    if (!(gradientTolerance >= 0)) {
      throw new IllegalArgumentException("gradientTolerance must be >= 0, got " + gradientTolerance);
    }
  }

  /**
   * The minimum found.
   *
   * @param theta parameters
   * @param value objective there
   * @param gradientMax largest absolute gradient component there
   * @param iterations iterations run
   * @param converged whether the gradient tolerance was reached
   */
  public record Result(double[] theta, double value, double gradientMax, int iterations, boolean converged) {}

  /** Minimises {@code f} from {@code start} (not modified). */
  public Result minimise(Function<double[], LogisticObjective.Evaluation> f, double[] start) {
    int n = start.length;
    double[] x = start.clone();
    LogisticObjective.Evaluation e = f.apply(x);
    double fx = e.value();
    double[] g = e.gradient();
    Deque<double[][]> pairs = new ArrayDeque<>();                 // newest first: {s, y, {rho}}
    int it = 0;
    while (true) {
      double gmax = maxAbs(g);
      if (gmax <= gradientTolerance) {
        return new Result(x, fx, gmax, it, true);
      }
      if (it >= maxIterations) {
        return new Result(x, fx, gmax, it, false);
      }
      double[] d = direction(g, pairs);
      double slope = dot(d, g);
      if (!(slope < 0)) {                                          // not a descent direction: restart
        pairs.clear();
        d = scale(g, -1);
        slope = dot(d, g);
      }
      // first step: unit length along -g; afterwards the quasi-Newton step 1
      double step = pairs.isEmpty() ? Math.min(1.0, 1.0 / Math.sqrt(dot(g, g))) : 1.0;
      double[] xn = null;
      LogisticObjective.Evaluation en = null;
      boolean accepted = false;
      for (int tries = 0; tries < 60; tries++) {
        xn = axpy(step, d, x);
        en = f.apply(xn);
        if (en.value() <= fx + 1e-4 * step * slope) {
          accepted = true;
          break;
        }
        // near the optimum the decrease falls below float64 rounding of f and Armijo cannot see it:
        // Hager and Zhang's approximate Wolfe conditions judge the step by the directional derivative
        // instead, 0.9 slope <= d.g(x + step d) <= (1 - 2e-4) |slope|, with f within rounding
        double dg = dot(d, en.gradient());
        if (en.value() <= fx + 1e-14 * Math.max(1.0, Math.abs(fx)) && dg >= 0.9 * slope
            && dg <= (1 - 2e-4) * -slope) {
          accepted = true;
          break;
        }
        step *= 0.5;
      }
      it++;
      if (!accepted) {
        // no progress possible in float64 (at the optimum to rounding): stop here
        return new Result(x, fx, gmax, it, gmax <= gradientTolerance);
      }
      double[] s = sub(xn, x);
      double[] yv = sub(en.gradient(), g);
      double sy = dot(s, yv);
      if (sy > 1e-300) {                                           // curvature condition
        pairs.addFirst(new double[][] {s, yv, {1.0 / sy}});
        if (pairs.size() > memory) {
          pairs.removeLast();
        }
      }
      x = xn;
      fx = en.value();
      g = en.gradient();
    }
  }

  /** The two-loop recursion: {@code -H g} with the initial scaling {@code s.y / y.y}. */
  private static double[] direction(double[] g, Deque<double[][]> pairs) {
    double[] q = g.clone();
    double[] alpha = new double[pairs.size()];
    int i = 0;
    for (double[][] p : pairs) {                                   // newest to oldest
      alpha[i] = p[2][0] * dot(p[0], q);
      addScaled(q, -alpha[i], p[1]);
      i++;
    }
    if (!pairs.isEmpty()) {
      double[][] newest = pairs.peekFirst();
      double gamma = dot(newest[0], newest[1]) / dot(newest[1], newest[1]);
      for (int k = 0; k < q.length; k++) {
        q[k] *= gamma;
      }
    }
    var it = pairs.descendingIterator();                           // oldest to newest
    i = pairs.size() - 1;
    while (it.hasNext()) {
      double[][] p = it.next();
      double beta = p[2][0] * dot(p[1], q);
      addScaled(q, alpha[i] - beta, p[0]);
      i--;
    }
    return scale(q, -1);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  private static void addScaled(double[] a, double c, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += c * b[i];
    }
  }

  private static double[] scale(double[] a, double c) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = c * a[i];
    }
    return out;
  }

  private static double[] axpy(double c, double[] d, double[] x) {
    double[] out = x.clone();
    addScaled(out, c, d);
    return out;
  }

  private static double[] sub(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] - b[i];
    }
    return out;
  }
}
