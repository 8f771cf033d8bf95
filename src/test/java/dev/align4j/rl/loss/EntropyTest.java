package dev.align4j.rl.loss;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import org.junit.jupiter.api.Test;

/** Entropy from logits against OpenRLHF's compute_entropy, on host doubles and on NDArrays. */
class EntropyTest {
  @Test
  void matchesOpenRlhfComputeEntropy() {
    JsonNode c = RlGoldens.cases("entropy").get(0);
    JsonNode logits = c.get("logits");
    double[][] expected = mat(c.get("out"));
    int b = logits.size();
    int t = logits.get(0).size();
    int v = logits.get(0).get(0).size();
    double[][] host = new double[b][t];
    double[] flat = new double[b * t * v];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        double[] z = RlGoldens.vec(logits.get(i).get(j));
        host[i][j] = Entropy.of(z);
        System.arraycopy(z, 0, flat, (i * t + j) * v, v);
      }
    }
    assertClose("entropy (host)", host, expected, 1e-13);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray nd = Entropy.of(m.create(flat, new Shape(b, t, v)), 1.0);
      double[] got = nd.toType(DataType.FLOAT64, false).toDoubleArray();
      double[][] g = new double[b][t];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < t; j++) {
          g[i][j] = got[i * t + j];
        }
      }
      assertClose("entropy (NDArray float64)", g, expected, 1e-12);
      // temperature: the entropy of logits / 2
      NDArray hot = Entropy.of(m.create(flat, new Shape(b, t, v)), 2.0);
      double[] z = RlGoldens.vec(logits.get(0).get(0));
      for (int k = 0; k < z.length; k++) {
        z[k] /= 2;
      }
      assertClose("entropy at temperature 2", hot.toDoubleArray()[0], Entropy.of(z), 1e-12);
    }
  }
}
