package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.io.SafetensorsWriter;
import dev.align4j.peft.io.TensorData;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * PEFT's files for the prompt-learning adapters ({@link PromptTuning}, P-tuning, {@link PrefixTuning}):
 * one float32 table {@code prompt_embeddings} in {@code adapter_model.safetensors} and an {@code
 * adapter_config.json} whose common keys are written, and checked on load, here.
 */
final class PromptLearningFiles {
  static final String TABLE = "prompt_embeddings";

  private PromptLearningFiles() {}

  /** Writes the table {@code [n, width]} as PEFT's float32 {@code prompt_embeddings}. */
  static void writeTable(Path dir, float[] values, long[] shape) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    Files.createDirectories(dir);
    SafetensorsWriter.write(dir.resolve(PeftAdapterFiles.WEIGHTS),
        Map.of(TABLE, new TensorData(DType.F32, shape, b)), Map.of("format", "pt"));
  }

  /** The keys every prompt-learning config has; the caller adds its own and {@link #writeConfig}s it. */
  static ObjectNode config(String baseModel, String peftType, int numAttentionHeads, int numLayers, long numVirtualTokens,
      long tokenDim) {
    ObjectNode c = new ObjectMapper().createObjectNode();
    if (baseModel == null) {
      c.putNull("base_model_name_or_path");
    } else {
      c.put("base_model_name_or_path", baseModel);
    }
    c.put("inference_mode", true);
    c.put("num_attention_heads", numAttentionHeads);
    c.put("num_layers", numLayers);
    c.put("num_transformer_submodules", 1);
    c.put("num_virtual_tokens", numVirtualTokens);
    c.put("peft_type", peftType);
    c.put("task_type", "CAUSAL_LM");
    c.put("token_dim", tokenDim);
    return c;
  }

  static void writeConfig(Path dir, ObjectNode config) throws IOException {
    AtomicFiles.writeString(dir.resolve(PeftAdapterFiles.CONFIG), HfCheckpointWriter.prettySorted(config));
  }

  /** The adapter's config, when its {@code peft_type} is one of {@code types} and it uses no key align4j lacks. */
  static JsonNode readConfig(Path dir, String... types) throws IOException {
    Path file = dir.resolve(PeftAdapterFiles.CONFIG);
    JsonNode cfg = new ObjectMapper().readTree(file.toFile());
    String type = cfg.path("peft_type").asText();
    if (!Arrays.asList(types).contains(type)) {
      throw new CheckpointFormatException(file, "peft_type '" + type + "' is not " + String.join(" or ", types));
    }
    List<String> unsupported = UnsupportedKeys.promptLearning(cfg);
    if (!unsupported.isEmpty()) {
      throw new CheckpointFormatException(file, "not supported by align4j: " + String.join("; ", unsupported));
    }
    return cfg;
  }

  /**
   * The saved table {@code [n, width]} in {@code model}'s manager; a {@link CheckpointFormatException} naming
   * the file when it is missing or its width is not {@code width} ({@code what} says what the width is).
   */
  static NDArray readTable(CausalLM model, Path dir, long width, String what) throws IOException {
    Path file = dir.resolve(PeftAdapterFiles.WEIGHTS);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      if (!f.tensors().containsKey(TABLE)) {
        throw new CheckpointFormatException(file, "missing tensor '" + TABLE + "'");
      }
      long[] s = f.info(TABLE).shape();
      if (s.length != 2 || s[1] != width) {
        throw new CheckpointFormatException(file, TABLE + " has shape " + Arrays.toString(s) + " but " + what);
      }
      return model.manager().create(f.toFloatArray(TABLE), new Shape(s));
    }
  }
}
