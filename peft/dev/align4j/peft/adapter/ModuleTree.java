package dev.align4j.peft.adapter;

import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.WeightNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The module names transformers' {@code model.named_modules()} yields for a supported decoder, in its
 * order, each with its kind: PEFT matches {@code target_modules}, {@code exclude_modules} and
 * {@code modules_to_save} against exactly these names, so a pattern that hits a norm or a whole layer
 * must be seen (and refused) rather than silently skipped.
 */
public final class ModuleTree {
  /** What a module is, as far as adapters care. */
  public enum Kind {
    /** {@code nn.Linear}: LoRA, DoRA and IA3 wrap these. */
    LINEAR,
    /** {@code nn.Embedding} ({@code model.embed_tokens}). */
    EMBEDDING,
    /** An RMS norm's gain ({@code modules_to_save} may copy it; LoRA cannot wrap it). */
    NORM,
    /** Anything else: containers, activations, the rotary table. */
    OTHER
  }

  /** One named module. */
  public record Module(String path, Kind kind) {}

  private ModuleTree() {}

  /** Every module of a causal LM of this config, root ({@code ""}) first, {@code lm_head} last. */
  public static List<Module> of(ModelConfig c) {
    List<Module> out = new ArrayList<>();
    out.add(new Module("", Kind.OTHER));
    out.add(new Module("model", Kind.OTHER));
    out.add(new Module("model.embed_tokens", Kind.EMBEDDING));
    out.add(new Module("model.layers", Kind.OTHER));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = WeightNames.layer(i);
      out.add(new Module(p, Kind.OTHER));
      out.add(new Module(p + ".self_attn", Kind.OTHER));
      for (String s : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
        out.add(new Module(p + ".self_attn." + s, Kind.LINEAR));
      }
      if (c.family().qkNorm()) {
        out.add(new Module(p + ".self_attn.q_norm", Kind.NORM));
        out.add(new Module(p + ".self_attn.k_norm", Kind.NORM));
      }
      out.add(new Module(p + ".mlp", Kind.OTHER));
      for (String s : List.of("gate_proj", "up_proj", "down_proj")) {
        out.add(new Module(p + ".mlp." + s, Kind.LINEAR));
      }
      out.add(new Module(p + ".mlp.act_fn", Kind.OTHER));
      out.add(new Module(p + ".input_layernorm", Kind.NORM));
      out.add(new Module(p + ".post_attention_layernorm", Kind.NORM));
    }
    out.add(new Module("model.norm", Kind.NORM));
    out.add(new Module("model.rotary_emb", Kind.OTHER));
    out.add(new Module("lm_head", Kind.LINEAR));
    return out;
  }
}
