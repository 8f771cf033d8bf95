package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.torch.Torch;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The device logits processors against transformers' own processor list on the same logits
 * ({@code src/test/resources/generate/make_processor_goldens.py}, transformers 5.17): same kept
 * tokens, same scores, same log-softmax.
 */
class LogitsProcessorsTest {
  @Test
  void matchesTransformersProcessors() throws Exception {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/generate/processors_golden.json")) {
      g = new ObjectMapper().readTree(in);
    }
    int v = g.get("vocab").asInt();
    float[][] logits = floats(g.get("logits"));
    int b = logits.length;
    long[][] inputIds = new ObjectMapper().treeToValue(g.get("input_ids"), long[][].class);
    try (NDManager m = Torch.newManager()) {
      NDArray x = m.create(flat(logits), new Shape(b, v));
      NDArray seen = m.zeros(new Shape(b, v), DataType.BOOLEAN);
      Kernels.get().markTokens(seen, m.create(inputIds));
      for (JsonNode c : g.get("cases")) {
        JsonNode k = c.get("config");
        GenerationConfig cfg = new GenerationConfig(4, k.get("do_sample").asBoolean(), k.get("temperature").asDouble(),
            k.get("top_k").asInt(), k.get("top_p").asDouble(), k.get("min_p").asDouble(),
            k.get("repetition_penalty").asDouble(), 0, null, List.of(), 0);
        String label = c.get("processors").toString();
        NDArray scores = LogitsProcessors.apply(x, seen, cfg);
        compare(label + " scores", scores.toFloatArray(), c.get("scores"), v);
        compare(label + " log_softmax", scores.logSoftmax(1).toFloatArray(), c.get("log_softmax"), v);
      }
    }
  }

  private static void compare(String label, float[] got, JsonNode want, int v) {
    for (int r = 0; r < want.size(); r++) {
      for (int j = 0; j < v; j++) {
        JsonNode w = want.get(r).get(j);
        float actual = got[r * v + j];
        if (w.isNull()) {
          assertThat(actual).as("%s [%d, %d] removed", label, r, j).isEqualTo(Float.NEGATIVE_INFINITY);
        } else {
          assertThat((double) actual).as("%s [%d, %d]", label, r, j)
              .isCloseTo(w.asDouble(), org.assertj.core.api.Assertions.within(2e-6 * Math.max(1, Math.abs(w.asDouble()))));
        }
      }
    }
  }

  static float[][] floats(JsonNode rows) {
    float[][] out = new float[rows.size()][];
    for (int r = 0; r < rows.size(); r++) {
      out[r] = new float[rows.get(r).size()];
      for (int j = 0; j < out[r].length; j++) {
        out[r][j] = (float) rows.get(r).get(j).asDouble();
      }
    }
    return out;
  }

  static float[] flat(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[r].length);
    }
    return out;
  }
}
