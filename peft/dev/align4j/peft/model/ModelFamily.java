package dev.align4j.peft.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The decoder-only families align4j runs, keyed by Hugging Face's {@code model_type}.
 *
 * <p>They share one architecture (pre-norm RMSNorm, RoPE, grouped-query attention, SwiGLU MLP) and
 * differ only in the flags below.
 */
public enum ModelFamily {
  /** Llama 1/2/3: biases on q/k/v/o if {@code attention_bias}, on the MLP if {@code mlp_bias}. */
  LLAMA("llama", false, false),
  /** Mistral: the Llama layout without biases; a sliding window longer than the sequence (else refused). */
  MISTRAL("mistral", false, false),
  /** Qwen2 / Qwen2.5: biases on q, k and v projections. */
  QWEN2("qwen2", true, false),
  /** Qwen3: an RMSNorm over each head of q and k before RoPE; q/k/v/o biases if {@code attention_bias}. */
  QWEN3("qwen3", false, true);

  private final String modelType;
  private final boolean qkvBias;
  private final boolean qkNorm;

  ModelFamily(String modelType, boolean qkvBias, boolean qkNorm) {
    this.modelType = modelType;
    this.qkvBias = qkvBias;
    this.qkNorm = qkNorm;
  }

  /** The {@code model_type} string of {@code config.json}. */
  public String modelType() {
    return modelType;
  }

  /** Whether q, k and v projections always carry a bias (Qwen2). */
  public boolean qkvBias() {
    return qkvBias;
  }

  /** Whether q and k get a per-head RMSNorm (Qwen3). */
  public boolean qkNorm() {
    return qkNorm;
  }

  /** The family of a {@code model_type}, or a clear error naming the supported ones. */
  public static ModelFamily fromModelType(String modelType) {
    for (ModelFamily f : values()) {
      if (f.modelType.equals(modelType)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unsupported model_type '" + modelType + "'; supported: " + supported());
  }

  /** The supported {@code model_type} strings, comma separated. */
  public static String supported() {
    return Arrays.stream(values()).map(ModelFamily::modelType).collect(Collectors.joining(", "));
  }
}
