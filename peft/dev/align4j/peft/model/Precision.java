package dev.align4j.peft.model;

import ai.djl.ndarray.types.DataType;

/**
 * The dtype a model computes in. Trainable parameters keep float32 (or float64) masters, unless they
 * drop them ({@link MasterWeights#NONE}: pure bfloat16).
 */
public enum Precision {
  /** Everything in float32. */
  FLOAT32,
  /** Everything in float64: slow, for finite-difference gradient checks. */
  FLOAT64,
  /** Frozen weights and activations in bfloat16, norms and softmax upcast to float32. */
  BFLOAT16;

  /** The DJL dtype of master (trainable) copies under this precision. */
  public DataType masterType() {
    return this == FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
  }

  /** Parses {@code float32}, {@code fp32}, {@code bfloat16}, {@code bf16}, {@code float64}. */
  public static Precision parse(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "float32", "fp32", "f32" -> FLOAT32;
      case "float64", "fp64", "f64", "double" -> FLOAT64;
      case "bfloat16", "bf16" -> BFLOAT16;
      default -> throw new IllegalArgumentException(
          "unknown precision '" + s + "' (float32, bfloat16, float64)");
    };
  }
}
