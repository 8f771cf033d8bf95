package dev.align4j.recipes.sft;

/** What an SFT recipe trains ({@code finetuning_type}, LLaMA-Factory's names in lower case). */
public enum FinetuningType {
  /** LoRA (DoRA, rsLoRA; QLoRA with {@code quantization_bit: 4}). */
  LORA,
  /** IA3 scaling vectors. */
  IA3,
  /** Soft prompt embeddings. */
  PROMPT_TUNING,
  /** Soft prompt from an MLP encoder. */
  P_TUNING,
  /** Per-layer key/value prefixes. */
  PREFIX_TUNING,
  /** The last (or first) N decoder layers. */
  FREEZE,
  /** Every weight. */
  FULL;

  /** Whether this is one of the virtual-token methods (prompt, P- or prefix tuning). */
  public boolean isPromptLearning() {
    return this == PROMPT_TUNING || this == P_TUNING || this == PREFIX_TUNING;
  }

  /** Whether the result is a PEFT adapter directory (else a full model). */
  public boolean savesAdapter() {
    return this != FREEZE && this != FULL;
  }
}
