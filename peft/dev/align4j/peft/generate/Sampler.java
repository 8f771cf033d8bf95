package dev.align4j.peft.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits on the host, in transformers' order of logits
 * processors: temperature, then top-k, then top-p, then a draw from the renormalised softmax.
 *
 * <p>Working on the host keeps every draw exact and reproducible from a Java seed, independent of
 * the engine's random generator; one row of logits is small next to a forward pass.
 */
public final class Sampler {
  private Sampler() {}

  /** The arg-max (first index on ties, as torch.argmax). */
  public static int greedy(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * The probabilities that {@link #sample} draws from: softmax of {@code logits / temperature} over
   * the tokens that survive top-k and top-p, zero elsewhere.
   */
  public static double[] distribution(float[] logits, double temperature, int topK, double topP) {
    int v = logits.length;
    double[] z = new double[v];
    for (int i = 0; i < v; i++) {
      z[i] = logits[i] / temperature;
    }
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(z[b], z[a]));      // most likely first
    int keep = topK > 0 ? Math.min(topK, v) : v;
    double max = z[order[0]];
    double total = 0;
    double[] p = new double[v];
    for (int r = 0; r < keep; r++) {
      p[order[r]] = Math.exp(z[order[r]] - max);
      total += p[order[r]];
    }
    if (topP < 1) {
      // keep the smallest prefix whose mass reaches topP (always at least one token)
      double cum = 0;
      int cut = keep;
      for (int r = 0; r < keep; r++) {
        cum += p[order[r]] / total;
        if (cum >= topP) {
          cut = r + 1;
          break;
        }
      }
      for (int r = cut; r < keep; r++) {
        p[order[r]] = 0;
      }
      keep = cut;
    }
    double kept = 0;
    for (int r = 0; r < keep; r++) {
      kept += p[order[r]];
    }
    for (int i = 0; i < v; i++) {
      p[i] /= kept;
    }
    return p;
  }

  /** Draws a token by inverse CDF from {@link #distribution}. */
  public static int sample(float[] logits, GenerationConfig cfg, SplittableRandom rng) {
    if (!cfg.doSample()) {
      return greedy(logits);
    }
    double[] p = distribution(logits, cfg.temperature(), cfg.topK(), cfg.topP());
    double u = rng.nextDouble();
    double cum = 0;
    int last = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        cum += p[i];
        last = i;
        if (u < cum) {
          return i;
        }
      }
    }
    return last;
  }
}
