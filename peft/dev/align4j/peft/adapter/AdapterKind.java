package dev.align4j.peft.adapter;

/** The fine-tuning methods an {@link Adapter} stands for, with PEFT's {@code peft_type} where it has one. */
public enum AdapterKind {
  /** LoRA, rsLoRA, DoRA; QLoRA when the base is 4-bit. */
  LORA("LORA"),
  /** IA3 scaling vectors. */
  IA3("IA3"),
  /** Learned virtual token embeddings. */
  PROMPT_TUNING("PROMPT_TUNING"),
  /** Virtual tokens through an MLP encoder. */
  P_TUNING("P_TUNING"),
  /** Learned keys and values in front of every layer. */
  PREFIX_TUNING("PREFIX_TUNING"),
  /** Some decoder layers train, the rest frozen (no PEFT format: saved as a full checkpoint). */
  FREEZE(null),
  /** Every parameter trains (no PEFT format: saved as a full checkpoint). */
  FULL(null);

  private final String peftType;

  AdapterKind(String peftType) {
    this.peftType = peftType;
  }

  /** PEFT's {@code peft_type}, or null when the method saves a full checkpoint instead. */
  public String peftType() {
    return peftType;
  }
}
