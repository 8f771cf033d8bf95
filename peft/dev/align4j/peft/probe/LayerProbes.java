package dev.align4j.peft.probe;

import java.util.ArrayList;
import java.util.List;

/**
 * One probe per layer: standardise on the training rows, fit {@link LogisticProbe}, score both sides.
 */
public final class LayerProbes {
  private LayerProbes() {}

  /**
   * A probe's scores at one layer.
   *
   * @param layer hidden-state index (0 the embeddings)
   * @param trainAccuracy accuracy on the training rows
   * @param evalAccuracy accuracy on the held-out rows
   * @param loss the fitted objective (mean cross-entropy plus penalty)
   * @param iterations L-BFGS iterations
   * @param gradientMax largest absolute gradient component at the fit
   * @param converged whether the solver reached its gradient tolerance
   */
  public record LayerResult(
      int layer, double trainAccuracy, double evalAccuracy, double loss, int iterations, double gradientMax,
      boolean converged) {}

  /**
   * Fits and scores one probe per layer.
   *
   * @param layers hidden-state indices, one per first dimension of the features
   * @param train training features {@code [layers][n][H]}
   * @param eval held-out features {@code [layers][m][H]}
   */
  public static List<LayerResult> run(
      int[] layers, double[][][] train, int[] trainLabels, double[][][] eval, int[] evalLabels, int classes,
      double l2) {
    List<LayerResult> out = new ArrayList<>();
    for (int k = 0; k < layers.length; k++) {
      Standardizer s = Standardizer.fit(train[k]);
      double[][] xt = s.apply(train[k]);
      double[][] xe = s.apply(eval[k]);
      LogisticProbe p = LogisticProbe.fit(new LogisticObjective(xt, trainLabels, classes, l2));
      out.add(new LayerResult(layers[k], p.accuracy(xt, trainLabels), p.accuracy(xe, evalLabels), p.loss(),
          p.iterations(), p.gradientMax(), p.converged()));
    }
    return out;
  }

  /** The accuracy of always answering the most frequent training class, on {@code labels}. */
  public static double majorityBaseline(int[] trainLabels, int[] labels, int classes) {
    int[] counts = new int[classes];
    for (int y : trainLabels) {
      counts[y]++;
    }
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (counts[c] > counts[best]) {
        best = c;
      }
    }
    int hits = 0;
    for (int y : labels) {
      if (y == best) {
        hits++;
      }
    }
    return labels.length == 0 ? Double.NaN : (double) hits / labels.length;
  }
}
