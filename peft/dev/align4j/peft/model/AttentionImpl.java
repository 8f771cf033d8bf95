package dev.align4j.peft.model;

/** How attention scores are computed. */
public enum AttentionImpl {
  /** Plain matmul + masked softmax + matmul from DJL ops: the reference. */
  COMPOSED,
  /** libtorch's fused {@code scaled_dot_product_attention} through the kernel bridge. */
  FUSED
}
