package dev.align4j.rl.loss;

/**
 * A loss as the engine accumulates it: {@code loss = sum / units}, with the gradient of the SUM with
 * respect to the per-token input (log-probs for policy losses, values for the value loss). Summing
 * {@code sum} and {@code gradSum} over micro-batches and dividing by the total units reproduces the
 * full batch exactly.
 *
 * <p>How the loop backpropagates: with the per-token log-probs {@code logp} {@code [B, T]} an autograd
 * NDArray, {@code logp.mul(g).sum()} with {@code g = gradSum / units} as a constant array has exactly
 * the gradient of {@code loss} with respect to the model's parameters.
 *
 * @param sum the loss numerator
 * @param units the denominator (tokens, sequences, or {@code B * max_completion_length})
 * @param gradSum {@code d sum / d input}, {@code [B, T]}
 */
public record LossValue(double sum, double units, double[][] gradSum) {
  /** {@code sum / units}. */
  public double loss() {
    return sum / units;
  }

  /** {@code d loss / d input} = {@code gradSum / units}, a fresh {@code [B, T]} array. */
  public double[][] grad() {
    double[][] g = new double[gradSum.length][];
    for (int i = 0; i < g.length; i++) {
      g[i] = new double[gradSum[i].length];
      for (int j = 0; j < g[i].length; j++) {
        g[i][j] = gradSum[i][j] / units;
      }
    }
    return g;
  }
}
