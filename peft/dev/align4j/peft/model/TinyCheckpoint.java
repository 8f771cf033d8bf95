package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a small random-weight checkpoint of any supported family in Hugging Face format, optionally
 * with a real tokenizer copied beside it: what tests and the demo use in place of a hub download.
 */
public final class TinyCheckpoint {
  /** Tokenizer files copied when present. */
  public static final List<String> TOKENIZER_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

  private TinyCheckpoint() {}

  /**
   * @param out directory to create or overwrite
   * @param config the architecture (its {@code torch_dtype} picks the stored dtype)
   * @param seed seeds the weights
   * @param tokenizerDir a directory with {@code tokenizer.json} (and config) to copy, or null
   * @param generationConfig {@code generation_config.json} content, or empty
   */
  public static void write(
      Path out, ModelConfig config, long seed, Path tokenizerDir, Optional<ObjectNode> generationConfig,
      NDManager manager) throws IOException {
    Files.createDirectories(out);
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> weights = RandomWeights.generate(config, m, seed, 0.02, 0.0, DataType.FLOAT32);
      try (CausalLM model = CausalLM.create(config, Precision.FLOAT32, AttentionImpl.COMPOSED, m, weights)) {
        ModelSaver.save(model, config.toJson(), generationConfig, out, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
    }
    if (tokenizerDir != null) {
      for (String f : TOKENIZER_FILES) {
        Path src = tokenizerDir.resolve(f);
        if (Files.exists(src)) {
          Path tmp = Files.createTempFile(out, f, ".tmp");
          Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(tmp, out.resolve(f), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
