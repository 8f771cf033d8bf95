package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Tiny configurations of every family for tests. */
public final class TinyConfigs {
  private TinyConfigs() {}

  /** A tiny config of the family: vocab 64, hidden 16, 2 layers, 4 heads, 2 kv heads, head dim 4. */
  public static ModelConfig of(ModelFamily family) {
    return of(family, 64);
  }

  /** As {@link #of(ModelFamily)} with a chosen vocabulary size. */
  public static ModelConfig of(ModelFamily family, int vocab) {
    ObjectNode j = new ModelConfig(family, vocab, 16, 32, 2, 4, 2, 4, 1e-6, 10000.0,
        family == ModelFamily.LLAMA ? new RopeScaling.Llama3(8.0, 1.0, 4.0, 16) : null, 64,
        family == ModelFamily.QWEN2, false, "float32").toJson();
    return ModelConfig.fromJson(j, "tiny");
  }
}
