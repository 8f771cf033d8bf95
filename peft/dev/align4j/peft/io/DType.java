package dev.align4j.peft.io;

/** Element types of safetensors files, with their names in the header and their sizes. */
public enum DType {
  F64("F64", 8), F32("F32", 4), F16("F16", 2), BF16("BF16", 2),
  I64("I64", 8), I32("I32", 4), I16("I16", 2), I8("I8", 1), U8("U8", 1), BOOL("BOOL", 1),
  U16("U16", 2), U32("U32", 4), U64("U64", 8);

  private final String name;
  private final int itemSize;

  DType(String name, int itemSize) {
    this.name = name;
    this.itemSize = itemSize;
  }

  /** The header spelling, e.g. {@code BF16}. */
  public String safetensorsName() {
    return name;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  /** The dtype of a header name, or an error naming it. */
  public static DType fromSafetensors(String s) {
    for (DType d : values()) {
      if (d.name.equals(s)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + s + "'");
  }
}
