package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The architecture of a decoder-only model, as {@code config.json} describes it.
 *
 * <p>Validated on construction: a bad config fails here, naming the field, before any tensor is
 * read.
 */
public record ModelConfig(
    ModelFamily family,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    String torchDtype) {

  /** Validates sizes and their divisibility. */
  public ModelConfig {
    if (family == null) {
      throw new IllegalArgumentException("config: model_type is required");
    }
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("head_dim", headDim);
    positive("max_position_embeddings", maxPositionEmbeddings);
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException(
          "config: num_attention_heads (" + numHeads + ") must be divisible by num_key_value_heads ("
              + numKvHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("config: head_dim (" + headDim + ") must be even for RoPE");
    }
    if (!(rmsNormEps > 0)) {
      throw new IllegalArgumentException("config: rms_norm_eps must be > 0, got " + rmsNormEps);
    }
    if (!(ropeTheta > 0)) {
      throw new IllegalArgumentException("config: rope_theta must be > 0, got " + ropeTheta);
    }
    if (torchDtype == null) {
      torchDtype = "float32";
    }
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException("config: " + field + " must be > 0, got " + v);
    }
  }

  /**
   * Checks that every id the tokenizer can produce has an embedding row.
   *
   * @param tokenizerVocab the tokenizer's largest id + 1
   * @param source what to name in the error (the model directory)
   */
  public void requireVocabCovers(int tokenizerVocab, Object source) {
    if (tokenizerVocab > vocabSize) {
      throw new IllegalArgumentException(source + ": config vocab_size " + vocabSize
          + " is smaller than the tokenizer's " + tokenizerVocab + " ids");
    }
  }

  /** Query heads per key/value head (grouped-query attention). */
  public int groups() {
    return numHeads / numKvHeads;
  }

  /** Whether q, k, v projections have a bias. */
  public boolean qkvBias() {
    return family.qkvBias() || attentionBias;
  }

  /**
   * Parses a {@code config.json} tree.
   *
   * @param json the parsed file
   * @param source the file name, for error messages
   */
  public static ModelConfig fromJson(JsonNode json, String source) {
    try {
      if (json == null || !json.isObject()) {
        throw new IllegalArgumentException("config: not a JSON object");
      }
      String type = text(json, "model_type", null);
      if (type == null) {
        throw new IllegalArgumentException(
            "config: missing model_type (supported: " + ModelFamily.supported() + ")");
      }
      ModelFamily family = ModelFamily.fromModelType(type);
      int hidden = requiredInt(json, "hidden_size");
      int heads = requiredInt(json, "num_attention_heads");
      int kvHeads = optInt(json, "num_key_value_heads", heads);
      if (heads <= 0) {
        throw new IllegalArgumentException("config: num_attention_heads must be > 0, got " + heads);
      }
      int headDim = optInt(json, "head_dim", hidden / heads);
      if (!json.hasNonNull("head_dim") && hidden % heads != 0) {
        throw new IllegalArgumentException(
            "config: hidden_size (" + hidden + ") is not divisible by num_attention_heads (" + heads
                + ") and no head_dim is given");
      }
      return new ModelConfig(
          family,
          requiredInt(json, "vocab_size"),
          hidden,
          requiredInt(json, "intermediate_size"),
          requiredInt(json, "num_hidden_layers"),
          heads,
          kvHeads,
          headDim,
          optDouble(json, "rms_norm_eps", 1e-6),
          optDouble(json, "rope_theta", 10000.0),
          ropeScaling(json.get("rope_scaling")),
          optInt(json, "max_position_embeddings", 2048),
          json.path("tie_word_embeddings").asBoolean(false),
          json.path("attention_bias").asBoolean(false),
          text(json, "torch_dtype", text(json, "dtype", "float32")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static RopeScaling ropeScaling(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("");
    if (type.equals("default")) {
      return null;
    }
    if (!type.equals("llama3")) {
      throw new IllegalArgumentException(
          "config: rope_scaling type '" + type + "' is not supported (supported: llama3, default)");
    }
    return new RopeScaling(
        requiredDouble(node, "factor"),
        requiredDouble(node, "low_freq_factor"),
        requiredDouble(node, "high_freq_factor"),
        requiredInt(node, "original_max_position_embeddings"));
  }

  /** The {@code config.json} tree transformers would write for this architecture. */
  public ObjectNode toJson() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.putArray("architectures").add(architectureName());
    n.put("model_type", family.modelType());
    n.put("vocab_size", vocabSize);
    n.put("hidden_size", hiddenSize);
    n.put("intermediate_size", intermediateSize);
    n.put("num_hidden_layers", numLayers);
    n.put("num_attention_heads", numHeads);
    n.put("num_key_value_heads", numKvHeads);
    n.put("head_dim", headDim);
    n.put("hidden_act", "silu");
    n.put("rms_norm_eps", rmsNormEps);
    n.put("rope_theta", ropeTheta);
    if (ropeScaling != null) {
      ObjectNode rs = n.putObject("rope_scaling");
      rs.put("rope_type", "llama3");
      rs.put("factor", ropeScaling.factor());
      rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
      rs.put("high_freq_factor", ropeScaling.highFreqFactor());
      rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
    } else {
      n.putNull("rope_scaling");
    }
    n.put("max_position_embeddings", maxPositionEmbeddings);
    n.put("tie_word_embeddings", tieWordEmbeddings);
    n.put("attention_bias", attentionBias);
    n.put("torch_dtype", torchDtype);
    return n;
  }

  /** The transformers class name, e.g. {@code Qwen2ForCausalLM}. */
  public String architectureName() {
    return switch (family) {
      case LLAMA -> "LlamaForCausalLM";
      case MISTRAL -> "MistralForCausalLM";
      case QWEN2 -> "Qwen2ForCausalLM";
      case QWEN3 -> "Qwen3ForCausalLM";
    };
  }

  /** Number of parameters, counting a tied head once. */
  public long parameterCount() {
    long h = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    long attn = h * q + 2 * h * kv + q * h + (qkvBias() ? q + 2 * kv : 0) + (family.qkNorm() ? 2L * headDim : 0);
    long mlp = 3 * h * intermediateSize;
    long layer = attn + mlp + 2 * h;
    long embed = (long) vocabSize * h;
    return embed + numLayers * layer + h + (tieWordEmbeddings ? 0 : embed);
  }

  private static String text(JsonNode json, String field, String dflt) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  private static int requiredInt(JsonNode json, String field) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("config: missing required field " + field);
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber()) {
      throw new IllegalArgumentException("config: " + field + " must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static int optInt(JsonNode json, String field, int dflt) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? dflt : requiredInt(json, field);
  }

  private static double requiredDouble(JsonNode json, String field) {
    JsonNode v = json.get(field);
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException("config: " + field + " must be a number, got " + v);
    }
    return v.doubleValue();
  }

  private static double optDouble(JsonNode json, String field, double dflt) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? dflt : requiredDouble(json, field);
  }
}
