package dev.align4j.peft.search;

/** Whether the objective is minimised (a loss) or maximised (an accuracy). */
public enum Direction {
  MINIMISE,
  MAXIMISE;

  /** The value as a loss (lower is better): strategies and pruners only ever minimise. */
  public double toLoss(double value) {
    return this == MINIMISE ? value : -value;
  }

  /** Whether {@code a} is strictly better than {@code b}. */
  public boolean better(double a, double b) {
    return toLoss(a) < toLoss(b);
  }
}
