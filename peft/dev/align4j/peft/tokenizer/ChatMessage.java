package dev.align4j.peft.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation, as passed to a chat template ({@code {"role": ..., "content": ...}}).
 *
 * @param role the speaker, e.g. {@code system}, {@code user}, {@code assistant}, {@code tool}; not blank
 * @param content the text of the turn; may be empty but not null
 */
public record ChatMessage(String role, String content) {

  /** Validates the fields. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    if (role.isBlank()) {
      throw new IllegalArgumentException("ChatMessage role must not be blank");
    }
  }

  /** A {@code system} message. */
  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A {@code user} message. */
  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** An {@code assistant} message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
