package dev.align4j.recipes.dpo;

/** What a preference recipe trains ({@code finetuning_type}). */
public enum PrefTuning {
  /** A LoRA adapter (DoRA, rsLoRA; QLoRA with {@code quantization_bit: 4}), new or from {@code adapter_name_or_path}. */
  LORA,
  /** Every weight; the reference is {@code ref_model}, or a second copy of the starting model. */
  FULL
}
