package dev.align4j.rl;

/**
 * Shape checks and masked reductions over per-token {@code [B, T]} host arrays (row = completion,
 * column = completion token). Every function of this package takes plain {@code double[][]} arrays
 * and a {@code boolean[][]} action mask (true = a generated token that counts), so the maths runs in
 * float64 on the host, independent of DJL; the training loop copies the few {@code [B, T]} tensors
 * it needs (log-probs, values) and feeds gradients back (see {@link dev.align4j.rl.loss}).
 */
public final class TokenArrays {
  private TokenArrays() {}

  /** Rows of {@code x}; throws naming {@code name} if it is null (check the columns with requireShape). */
  public static int rows(String name, double[][] x) {
    if (x == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    return x.length;
  }

  /** Throws unless {@code x} is {@code [b, t]}. */
  public static void requireShape(String name, double[][] x, int b, int t) {
    if (x == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (x.length != b) {
      throw new IllegalArgumentException(name + " has " + x.length + " rows, expected " + b);
    }
    for (int i = 0; i < b; i++) {
      if (x[i] == null || x[i].length != t) {
        throw new IllegalArgumentException(name + "[" + i + "] has "
            + (x[i] == null ? "no" : String.valueOf(x[i].length)) + " columns, expected " + t);
      }
    }
  }

  /** Throws unless {@code mask} is {@code [b, t]}. */
  public static void requireShape(String name, boolean[][] mask, int b, int t) {
    if (mask == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (mask.length != b) {
      throw new IllegalArgumentException(name + " has " + mask.length + " rows, expected " + b);
    }
    for (int i = 0; i < b; i++) {
      if (mask[i] == null || mask[i].length != t) {
        throw new IllegalArgumentException(name + "[" + i + "] has "
            + (mask[i] == null ? "no" : String.valueOf(mask[i].length)) + " columns, expected " + t);
      }
    }
  }

  /** Throws unless {@code x} has {@code b} entries. */
  public static void requireLength(String name, double[] x, int b) {
    if (x == null || x.length != b) {
      throw new IllegalArgumentException(name + " has " + (x == null ? "no" : String.valueOf(x.length))
          + " entries, expected " + b);
    }
  }

  /** Columns of a {@code [B, T]} mask (0 when B = 0). */
  public static int columns(boolean[][] mask) {
    return mask.length == 0 ? 0 : mask[0].length;
  }

  /** Active tokens of row {@code i}. */
  public static int count(boolean[] row) {
    int n = 0;
    for (boolean m : row) {
      n += m ? 1 : 0;
    }
    return n;
  }

  /** Active tokens of the whole mask. */
  public static long count(boolean[][] mask) {
    long n = 0;
    for (boolean[] row : mask) {
      n += count(row);
    }
    return n;
  }

  /** {@code sum(x * mask) / sum(mask)} (OpenRLHF {@code masked_mean(dim=None)}; NaN when empty). */
  public static double maskedMean(double[][] x, boolean[][] mask) {
    double s = 0;
    long n = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        if (mask[i][j]) {
          s += x[i][j];
          n++;
        }
      }
    }
    return s / n;
  }

  /** Per-row masked mean {@code sum_t(x * mask) / sum_t(mask)} (NaN for an empty row). */
  public static double[] rowMeans(double[][] x, boolean[][] mask) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double s = 0;
      int n = 0;
      for (int j = 0; j < x[i].length; j++) {
        if (mask[i][j]) {
          s += x[i][j];
          n++;
        }
      }
      out[i] = s / n;
    }
    return out;
  }

  /** Per-row masked sum. */
  public static double[] rowSums(double[][] x, boolean[][] mask) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        if (mask[i][j]) {
          out[i] += x[i][j];
        }
      }
    }
    return out;
  }

  /** A fresh {@code [b, t]} array of zeros. */
  public static double[][] zeros(int b, int t) {
    return new double[b][t];
  }
}
