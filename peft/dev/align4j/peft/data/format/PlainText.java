package dev.align4j.peft.data.format;

import java.util.Objects;

/** A raw text example (the {@code text} format). */
public record PlainText(String text) implements Example {
  public PlainText {
    Objects.requireNonNull(text, "text");
  }

  @Override
  public int charCount() {
    return text.length();
  }
}
