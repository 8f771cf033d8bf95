package dev.align4j.peft.model;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Where one linear module of a {@link CausalLM} lives, addressed by its PEFT module path (e.g.
 * {@code model.layers.0.self_attn.q_proj} or {@code lm_head}): read it, or put a wrapper in its place
 * (how adapters attach without the model knowing them).
 */
record LinearSlot(Supplier<Linear> getter, Consumer<Linear> setter) {
  Linear get() {
    return getter.get();
  }

  void set(Linear l) {
    setter.accept(l);
  }

  /**
   * The slot at {@code path} among {@code layers}, or {@code head} for {@code lm_head}.
   *
   * @throws IllegalArgumentException naming the path when no linear module has it
   */
  static LinearSlot resolve(String path, List<DecoderLayer> layers, LinearSlot head) {
    if (path.equals("lm_head")) {
      return head;
    }
    String prefix = "model.layers.";
    if (path.startsWith(prefix)) {
      String rest = path.substring(prefix.length());
      int dot = rest.indexOf('.');
      if (dot > 0) {
        int i;
        try {
          i = Integer.parseInt(rest.substring(0, dot));
        } catch (NumberFormatException e) {
          i = -1;
        }
        if (i >= 0 && i < layers.size()) {
          Attention a = layers.get(i).attention;
          Mlp mlp = layers.get(i).mlp;
          switch (rest.substring(dot + 1)) {
            case "self_attn.q_proj": return new LinearSlot(() -> a.q, l -> a.q = l);
            case "self_attn.k_proj": return new LinearSlot(() -> a.k, l -> a.k = l);
            case "self_attn.v_proj": return new LinearSlot(() -> a.v, l -> a.v = l);
            case "self_attn.o_proj": return new LinearSlot(() -> a.o, l -> a.o = l);
            case "mlp.gate_proj": return new LinearSlot(() -> mlp.gate, l -> mlp.gate = l);
            case "mlp.up_proj": return new LinearSlot(() -> mlp.up, l -> mlp.up = l);
            case "mlp.down_proj": return new LinearSlot(() -> mlp.down, l -> mlp.down = l);
            default: break;
          }
        }
      }
    }
    throw new IllegalArgumentException("no linear module named " + path);
  }
}
