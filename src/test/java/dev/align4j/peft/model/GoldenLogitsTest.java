package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Logits of committed tiny checkpoints against transformers 5.17's own float64 forward ({@code
 * src/test/resources/golden/transformers_forward.py}; RMSNorm and attention kept in float64 there).
 *
 * <p>Both sides compute RoPE's cos/sin tables in float32 and everything else in float64, so they agree
 * to ~1e-13 (tolerance 1e-11; a wrong formula moves logits by 1e-2 or more). An independent numpy
 * implementation ({@code reference_forward.py}, float64 RoPE too) agrees with transformers within 5e-6
 * (interop check {@code check_model_goldens.py}).
 *
 * <p>To regenerate: run {@link #main} (writes the checkpoints), then, with the interop venv's python,
 * {@code src/test/resources/golden/transformers_forward.py src/test/resources/golden/{llama,mistral,qwen2,qwen3}}.
 */
class GoldenLogitsTest {
  static final Path ROOT = Path.of("src/test/resources/golden");

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void logitsMatchTheNumpyReference(ModelFamily family) throws IOException {
    Path dir = ROOT.resolve(family.modelType());
    JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden_logits.json").toFile());
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(dir, Precision.FLOAT64, AttentionImpl.COMPOSED, m)) {
      for (int r = 0; r < golden.get("ids").size(); r++) {
        JsonNode idsJson = golden.get("ids").get(r);
        long[] ids = new long[idsJson.size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = idsJson.get(i).asLong();
        }
        double[] got = pm.model().logits(ModelInput.of(m, new long[][] {ids})).toDoubleArray();
        JsonNode want = golden.get("logits").get(r);
        int v = pm.model().config().vocabSize();
        for (int t = 0; t < ids.length; t++) {
          for (int k = 0; k < v; k++) {
            assertThat(got[t * v + k]).as("%s row %d token %d logit %d", family, r, t, k)
                .isCloseTo(want.get(t).get(k).asDouble(), Offset.offset(1e-11));
          }
        }
      }
    }
  }

  /** Writes the golden checkpoints (float32, random gains and biases so every tensor matters). */
  public static void main(String[] args) throws IOException {
    for (ModelFamily f : ModelFamily.values()) {
      ModelConfig c = TinyConfigs.of(f);
      try (NDManager m = Torch.newManager();
          CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
              RandomWeights.generate(c, m, 2026, 0.3, 0.2, DataType.FLOAT32))) {
        ModelSaver.save(model, null, Optional.empty(), ROOT.resolve(f.modelType()), ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
    }
  }
}
