package dev.align4j.peft.tokenizer;

/**
 * One message of a conversation, as passed to a chat template.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the text
 */
public record ChatMessage(String role, String content) {
  /** Checks for nulls. */
  public ChatMessage {
    if (role == null || role.isBlank()) {
      throw new IllegalArgumentException("chat message needs a role");
    }
    if (content == null) {
      throw new IllegalArgumentException("chat message (" + role + ") needs content");
    }
  }
}
