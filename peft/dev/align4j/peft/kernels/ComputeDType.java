package dev.align4j.peft.kernels;

/** Floating dtypes the bridge casts between. */
public enum ComputeDType {
  /** IEEE single precision. */
  FLOAT32,
  /** Brain float: float32's range, 8 bits of mantissa. */
  BFLOAT16,
  /** IEEE half precision. */
  FLOAT16,
  /** IEEE double precision. */
  FLOAT64
}
