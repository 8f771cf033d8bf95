package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The architecture of a decoder-only model, as {@code config.json} describes it.
 *
 * <p>Validated on construction: a bad config fails here, naming the field, before any tensor is
 * read. {@link #fromJson} reads every key that changes the math for these families in transformers
 * 5.17, in both the transformers 4 layout (top-level {@code rope_theta}/{@code rope_scaling}, {@code
 * torch_dtype}) and the transformers 5 one ({@code rope_parameters}, {@code dtype}), with the
 * family defaults of transformers' config classes; a key or value it cannot honour is an error
 * naming it, never ignored.
 *
 * @param ropeScaling the RoPE variant, {@code null} for plain RoPE
 * @param attentionBias Llama/Qwen3 {@code attention_bias}: biases on q, k, v and o
 * @param mlpBias Llama {@code mlp_bias}: biases on gate, up and down
 * @param slidingWindow the sliding window, or {@code null} when no layer slides
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
    String torchDtype,
    boolean mlpBias,
    SlidingWindow slidingWindow) {

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
    if (attentionBias && (family == ModelFamily.MISTRAL || family == ModelFamily.QWEN2)) {
      throw new IllegalArgumentException("config: attention_bias is not a " + family.modelType()
          + " setting in transformers (its model has fixed biases and would drop bias tensors)");
    }
    if (mlpBias && family != ModelFamily.LLAMA) {
      throw new IllegalArgumentException("config: mlp_bias is only a llama setting in transformers, not "
          + family.modelType());
    }
    if (slidingWindow != null && family == ModelFamily.LLAMA) {
      throw new IllegalArgumentException("config: llama has no sliding-window attention");
    }
    if (slidingWindow != null) {
      for (int l : slidingWindow.layers()) {
        if (l < 0 || l >= numLayers) {
          throw new IllegalArgumentException("config: sliding layer " + l + " out of range");
        }
      }
    }
  }

  /** The constructor before {@code mlp_bias} and sliding windows: neither. */
  public ModelConfig(
      ModelFamily family, int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
      int numKvHeads, int headDim, double rmsNormEps, double ropeTheta, RopeScaling ropeScaling,
      int maxPositionEmbeddings, boolean tieWordEmbeddings, boolean attentionBias, String torchDtype) {
    this(family, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps,
        ropeTheta, ropeScaling, maxPositionEmbeddings, tieWordEmbeddings, attentionBias, torchDtype, false, null);
  }

  /**
   * This config with {@code tie_word_embeddings} set: how a checkpoint without {@code lm_head} (a
   * {@code *ForSequenceClassification} model) is built, its unused LM head reading the embeddings.
   */
  public ModelConfig withTiedEmbeddings(boolean tied) {
    return new ModelConfig(family, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
        rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tied, attentionBias, torchDtype, mlpBias, slidingWindow);
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

  /** Whether q, k, v projections have a bias (always for Qwen2; {@code attention_bias} for Llama and Qwen3). */
  public boolean qkvBias() {
    return family.qkvBias() || attentionBias;
  }

  /** Whether the attention output projection has a bias ({@code attention_bias}, Llama and Qwen3). */
  public boolean oBias() {
    return attentionBias;
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
      unsupportedKeys(json);
      int hidden = requiredInt(json, "hidden_size");
      int heads = requiredInt(json, "num_attention_heads");
      if (heads <= 0) {
        throw new IllegalArgumentException("config: num_attention_heads must be > 0, got " + heads);
      }
      // transformers' class defaults differ per family: Mistral 8 kv heads, Qwen 32; Llama = heads
      if (family != ModelFamily.LLAMA && !json.hasNonNull("num_key_value_heads")) {
        throw new IllegalArgumentException("config: missing num_key_value_heads (transformers would use its "
            + family.modelType() + " default, not num_attention_heads); please state it");
      }
      int kvHeads = optInt(json, "num_key_value_heads", heads);
      // Qwen3's head_dim defaults to 128 in transformers, the others to hidden_size / heads
      int headDim = optInt(json, "head_dim", family == ModelFamily.QWEN3 ? 128 : hidden / heads);
      if (!json.hasNonNull("head_dim") && family != ModelFamily.QWEN3 && hidden % heads != 0) {
        throw new IllegalArgumentException(
            "config: hidden_size (" + hidden + ") is not divisible by num_attention_heads (" + heads
                + ") and no head_dim is given");
      }
      int layers = requiredInt(json, "num_hidden_layers");
      int maxPos = optInt(json, "max_position_embeddings", switch (family) {
        case LLAMA -> 2048;
        case MISTRAL -> 4096 * 32;
        case QWEN2, QWEN3 -> 32768;
      });
      List<String> layerTypes = layerTypes(json, layers);
      RopeJson.Rope rope = RopeJson.read(json, maxPos, layerTypes);
      boolean readsAttentionBias = family == ModelFamily.LLAMA || family == ModelFamily.QWEN3;
      return new ModelConfig(
          family,
          requiredInt(json, "vocab_size"),
          hidden,
          requiredInt(json, "intermediate_size"),
          layers,
          heads,
          kvHeads,
          headDim,
          optDouble(json, "rms_norm_eps", 1e-6),
          rope.theta(),
          rope.scaling(),
          maxPos,
          optBool(json, "tie_word_embeddings", false),
          readsAttentionBias ? optBool(json, "attention_bias", false) : rejectTrue(json, "attention_bias", family),
          text(json, "torch_dtype", text(json, "dtype", "float32")),
          family == ModelFamily.LLAMA ? optBool(json, "mlp_bias", false) : rejectTrue(json, "mlp_bias", family),
          slidingWindow(json, family, layers, layerTypes));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** Keys of other families that change the math; present and set, they are refused. */
  private static final List<String> UNSUPPORTED = List.of("attn_logit_softcapping", "final_logit_softcapping",
      "query_pre_attn_scalar", "logits_scaling", "logit_scale", "embedding_multiplier", "residual_multiplier",
      "attention_multiplier", "use_qk_norm", "qk_layernorm", "no_rope_layers");

  private static void unsupportedKeys(JsonNode json) {
    for (String k : UNSUPPORTED) {
      if (json.hasNonNull(k) && !json.get(k).equals(BooleanNode.FALSE)) {
        throw new IllegalArgumentException("config: " + k + " (" + json.get(k) + ") is not supported");
      }
    }
    String act = text(json, "hidden_act", "silu");
    if (!act.equals("silu") && !act.equals("swish")) {
      throw new IllegalArgumentException("config: hidden_act '" + act + "' is not supported (silu only)");
    }
    if (json.hasNonNull("attention_dropout") && optDouble(json, "attention_dropout", 0) != 0) {
      throw new IllegalArgumentException("config: attention_dropout " + json.get("attention_dropout")
          + " is not supported (align4j applies no attention dropout; set it to 0.0)");
    }
  }

  private static boolean rejectTrue(JsonNode json, String key, ModelFamily family) {
    if (optBool(json, key, false)) {
      throw new IllegalArgumentException("config: " + key + " is not a " + family.modelType()
          + " setting in transformers (it would be ignored and bias tensors dropped)");
    }
    return false;
  }

  /** {@code layer_types} when given (validated), else null. */
  private static List<String> layerTypes(JsonNode json, int layers) {
    JsonNode lt = json.get("layer_types");
    if (lt == null || lt.isNull()) {
      return null;
    }
    if (!lt.isArray() || lt.size() != layers) {
      throw new IllegalArgumentException("config: layer_types must be a list of " + layers + " entries, got " + lt);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode t : lt) {
      String v = t.asText();
      if (!v.equals("full_attention") && !v.equals("sliding_attention")) {
        throw new IllegalArgumentException("config: layer_types entry '" + v
            + "' is not supported (full_attention, sliding_attention)");
      }
      out.add(v);
    }
    return out;
  }

  /**
   * transformers' semantics: Mistral slides every layer by {@code sliding_window} (default 4096,
   * null = off; it ignores {@code layer_types}); Qwen2/Qwen3 slide only with {@code
   * use_sliding_window}, the layers {@code layer_types} names, or else those from {@code
   * max_window_layers} (default 28) on.
   */
  private static SlidingWindow slidingWindow(JsonNode json, ModelFamily family, int layers, List<String> types) {
    switch (family) {
      case LLAMA:
        return null;
      case MISTRAL: {
        if (json.has("sliding_window") && json.get("sliding_window").isNull()) {
          return null;
        }
        int w = optInt(json, "sliding_window", 4096);
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
          all.add(i);
        }
        return new SlidingWindow(w, all);
      }
      default: {
        if (!optBool(json, "use_sliding_window", false)
            || (json.has("sliding_window") && json.get("sliding_window").isNull())) {
          return null;
        }
        int w = optInt(json, "sliding_window", 4096);
        int maxWindowLayers = optInt(json, "max_window_layers", 28);
        List<Integer> sliding = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
          boolean s = types != null ? types.get(i).equals("sliding_attention") : i >= maxWindowLayers;
          if (s) {
            sliding.add(i);
          }
        }
        return sliding.isEmpty() ? null : new SlidingWindow(w, sliding);
      }
    }
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
      ropeScaling.writeJson(n.putObject("rope_scaling"));
    } else {
      n.putNull("rope_scaling");
    }
    n.put("max_position_embeddings", maxPositionEmbeddings);
    n.put("tie_word_embeddings", tieWordEmbeddings);
    if (family == ModelFamily.LLAMA || family == ModelFamily.QWEN3) {
      n.put("attention_bias", attentionBias);
    }
    if (family == ModelFamily.LLAMA) {
      n.put("mlp_bias", mlpBias);
    }
    if (family == ModelFamily.MISTRAL) {
      if (slidingWindow == null) {
        n.putNull("sliding_window");
      } else {
        n.put("sliding_window", slidingWindow.size());
      }
    } else if (family != ModelFamily.LLAMA) {
      n.put("use_sliding_window", slidingWindow != null);
      if (slidingWindow != null) {
        n.put("sliding_window", slidingWindow.size());
        var types = n.putArray("layer_types");
        for (int i = 0; i < numLayers; i++) {
          types.add(slidingWindow.layers().contains(i) ? "sliding_attention" : "full_attention");
        }
      }
    }
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
    long attn = h * q + 2 * h * kv + q * h + (qkvBias() ? q + 2 * kv : 0) + (oBias() ? h : 0)
        + (family.qkNorm() ? 2L * headDim : 0);
    long mlp = 3 * h * intermediateSize + (mlpBias ? 2L * intermediateSize + h : 0);
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

  private static boolean optBool(JsonNode json, String field, boolean dflt) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw new IllegalArgumentException("config: " + field + " must be true or false, got " + v);
    }
    return v.booleanValue();
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
