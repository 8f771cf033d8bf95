package dev.align4j.recipes.sft;

import dev.align4j.peft.data.format.DataFormat;
import java.util.Optional;

/** A recipe's {@code formatting}: one data layout, or {@code auto} to detect it from the first record. */
public enum Formatting {
  /** Detect from the first record's keys. */
  AUTO(null),
  /** instruction / input / output. */
  ALPACA(DataFormat.ALPACA),
  /** conversations: [{from, value}]. */
  SHAREGPT(DataFormat.SHAREGPT),
  /** messages: [{role, content}]. */
  OPENAI(DataFormat.OPENAI),
  /** {"text": ...}. */
  TEXT(DataFormat.TEXT);

  private final DataFormat format;

  Formatting(DataFormat format) {
    this.format = format;
  }

  /** The layout named, or empty for {@link #AUTO}. */
  public Optional<DataFormat> format() {
    return Optional.ofNullable(format);
  }
}
