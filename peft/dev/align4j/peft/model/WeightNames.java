package dev.align4j.peft.model;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Hugging Face tensor names and shapes of a checkpoint, spelled out per family, in the order
 * transformers saves them.
 */
public final class WeightNames {
  private WeightNames() {}

  /** Prefix of decoder layer {@code i}, e.g. {@code model.layers.3}. */
  public static String layer(int i) {
    return "model.layers." + i;
  }

  /** Every expected tensor name with its shape. */
  public static LinkedHashMap<String, Shape> expected(ModelConfig c) {
    LinkedHashMap<String, Shape> m = new LinkedHashMap<>();
    long h = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long f = c.intermediateSize();
    m.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = layer(i);
      m.put(p + ".input_layernorm.weight", new Shape(h));
      m.put(p + ".self_attn.q_proj.weight", new Shape(q, h));
      m.put(p + ".self_attn.k_proj.weight", new Shape(kv, h));
      m.put(p + ".self_attn.v_proj.weight", new Shape(kv, h));
      if (c.qkvBias()) {
        m.put(p + ".self_attn.q_proj.bias", new Shape(q));
        m.put(p + ".self_attn.k_proj.bias", new Shape(kv));
        m.put(p + ".self_attn.v_proj.bias", new Shape(kv));
      }
      m.put(p + ".self_attn.o_proj.weight", new Shape(h, q));
      if (c.oBias()) {
        m.put(p + ".self_attn.o_proj.bias", new Shape(h));
      }
      if (c.family().qkNorm()) {
        m.put(p + ".self_attn.q_norm.weight", new Shape(c.headDim()));
        m.put(p + ".self_attn.k_norm.weight", new Shape(c.headDim()));
      }
      m.put(p + ".post_attention_layernorm.weight", new Shape(h));
      m.put(p + ".mlp.gate_proj.weight", new Shape(f, h));
      m.put(p + ".mlp.up_proj.weight", new Shape(f, h));
      m.put(p + ".mlp.down_proj.weight", new Shape(h, f));
      if (c.mlpBias()) {
        m.put(p + ".mlp.gate_proj.bias", new Shape(f));
        m.put(p + ".mlp.up_proj.bias", new Shape(f));
        m.put(p + ".mlp.down_proj.bias", new Shape(h));
      }
    }
    m.put("model.norm.weight", new Shape(h));
    if (!c.tieWordEmbeddings()) {
      m.put("lm_head.weight", new Shape(c.vocabSize(), h));
    }
    return m;
  }

  /**
   * Whether a tensor in a checkpoint may be ignored: buffers older transformers saved ({@code
   * rotary_emb.inv_freq}) and a redundant {@code lm_head.weight} when embeddings are tied.
   */
  public static boolean ignorable(String name, ModelConfig c) {
    return name.endsWith(".rotary_emb.inv_freq")
        || (c.tieWordEmbeddings() && name.equals("lm_head.weight"));
  }

  /** Names of the linear modules of layer {@code i} (PEFT {@code target_modules} names as keys). */
  public static Map<String, String> linearModules(int i) {
    String p = layer(i);
    LinkedHashMap<String, String> m = new LinkedHashMap<>();
    m.put("q_proj", p + ".self_attn.q_proj");
    m.put("k_proj", p + ".self_attn.k_proj");
    m.put("v_proj", p + ".self_attn.v_proj");
    m.put("o_proj", p + ".self_attn.o_proj");
    m.put("gate_proj", p + ".mlp.gate_proj");
    m.put("up_proj", p + ".mlp.up_proj");
    m.put("down_proj", p + ".mlp.down_proj");
    return m;
  }
}
