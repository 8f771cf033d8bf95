package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random weights for any supported architecture, initialised as transformers does ({@code
 * N(0, initializer_range=0.02)} for matrices, zeros for biases, ones for norm gains), with an
 * optional jitter on gains and biases so that tests exercise them.
 *
 * <p>Values come from {@link SplittableRandom} in Java, so they are identical on every machine and
 * engine.
 */
public final class RandomWeights {
  private RandomWeights() {}

  /**
   * @param std standard deviation of matrices (transformers: 0.02)
   * @param jitter standard deviation added to norm gains (around 1) and biases (around 0); 0 for
   *     the transformers initialisation
   * @return float32 tensors (float64 when {@code type} is FLOAT64) by Hugging Face name
   */
  public static LinkedHashMap<String, NDArray> generate(
      ModelConfig config, NDManager manager, long seed, double std, double jitter, DataType type) {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    SplittableRandom root = new SplittableRandom(seed);
    for (Map.Entry<String, Shape> e : WeightNames.expected(config).entrySet()) {
      String name = e.getKey();
      SplittableRandom rng = root.split();
      long n = e.getValue().size();
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " is too large to generate on the host");
      }
      double[] v = new double[(int) n];
      boolean gain = name.endsWith("norm.weight");
      boolean bias = name.endsWith(".bias");
      for (int i = 0; i < v.length; i++) {
        double g = gaussian(rng);
        v[i] = gain ? 1 + jitter * g : bias ? jitter * g : std * g;
      }
      NDArray t;
      if (type == DataType.FLOAT64) {
        t = manager.create(v, e.getValue());
      } else {
        float[] f = new float[v.length];
        for (int i = 0; i < f.length; i++) {
          f[i] = (float) v[i];
        }
        t = manager.create(f, e.getValue());
      }
      out.put(name, t);
    }
    return out;
  }

  /** Box-Muller from two uniforms; SplittableRandom has no nextGaussian before Java 17's RandomGenerator default. */
  private static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
