package dev.align4j.peft.data.format;

import java.util.Objects;

/** One message of a conversation. */
public record Turn(Role role, String content) {
  public Turn {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
