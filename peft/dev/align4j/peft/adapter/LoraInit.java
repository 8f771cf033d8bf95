package dev.align4j.peft.adapter;

/** How LoRA's A matrix starts (B always starts at zero, so the adapter starts as the identity). */
public enum LoraInit {
  /** PEFT's default ({@code init_lora_weights=True}): kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)). */
  KAIMING_UNIFORM,
  /** PEFT's {@code "gaussian"}: N(0, (1/r)^2). */
  GAUSSIAN
}
