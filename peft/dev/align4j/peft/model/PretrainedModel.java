package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model loaded from a Hugging Face checkpoint directory, with the JSON it came with (kept whole,
 * so saving writes back every field transformers wrote, not only those align4j reads).
 *
 * @param model the decoder
 * @param configJson {@code config.json} as read
 * @param generationConfig {@code generation_config.json} when present
 * @param source the directory
 */
public record PretrainedModel(
    CausalLM model, ObjectNode configJson, Optional<ObjectNode> generationConfig, Path source)
    implements AutoCloseable {

  @Override
  public void close() {
    model.close();
  }
}
