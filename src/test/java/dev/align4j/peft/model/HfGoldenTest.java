package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints that transformers 5.17 made and saved, in both config layouts and every supported RoPE
 * type, against transformers' own float64 forward ({@code src/test/resources/golden/hf/make_goldens.py}
 * wrote them). 48 tokens: past {@code max_position_embeddings} (dynamic) and {@code
 * original_max_position_embeddings} (llama3, yarn), so scaling matters.
 *
 * <p>float64: only the RoPE tables are float32 on both sides, so log-probs agree to ~1e-12 (tolerance
 * 1e-9; a wrong theta moves them by 1e-2). float32: within 2e-5.
 */
class HfGoldenTest {
  static final Path ROOT = Path.of("src/test/resources/golden/hf");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> s = Files.list(ROOT)) {
      return s.filter(p -> Files.isRegularFile(p.resolve("golden.json")))
          .map(p -> p.getFileName().toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void logProbsEqualTransformersFloat64(String name) throws IOException {
    compare(name, Precision.FLOAT64, 1e-9);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void logProbsEqualTransformersFloat32(String name) throws IOException {
    compare(name, Precision.FLOAT32, 2e-5);
  }

  /** ModelSaver keeps transformers' config (both layouts) and the weights: the reload gives the same log-probs. */
  @ParameterizedTest
  @MethodSource("cases")
  void savedCheckpointKeepsItsLayoutAndLogProbs(String name, @TempDir Path tmp) throws IOException {
    Path dir = ROOT.resolve(name);
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(dir, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), tmp, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
    }
    assertThat(new ObjectMapper().readTree(tmp.resolve("config.json").toFile()))
        .isEqualTo(new ObjectMapper().readTree(dir.resolve("config.json").toFile()));
    compare(name, tmp, Precision.FLOAT32, 2e-5);
  }

  private static void compare(String name, Precision precision, double tol) throws IOException {
    compare(name, ROOT.resolve(name), precision, tol);
  }

  private static void compare(String name, Path dir, Precision precision, double tol) throws IOException {
    JsonNode golden = new ObjectMapper().readTree(ROOT.resolve(name).resolve("golden.json").toFile());
    long[] ids = new long[golden.get("ids").size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = golden.get("ids").get(i).asLong();
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(dir, precision, AttentionImpl.COMPOSED, m)) {
      ModelInput in = ModelInput.of(m, new long[][] {ids});
      NDArray logits = pm.model().logits(in);                                       // [1, T, V]
      double[] lp = CausalLM.tokenLogProbs(logits.get(":, :-1, :"), in.inputIds().get(":, 1:"))
          .toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
      double max = 0;
      for (int t = 0; t < lp.length; t++) {
        max = Math.max(max, Math.abs(lp[t] - golden.get("logprobs").get(t).asDouble()));
      }
      assertThat(max).as("%s %s max |log-prob difference|", name, precision).isLessThanOrEqualTo(tol);
    }
  }
}
