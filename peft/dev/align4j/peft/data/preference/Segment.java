package dev.align4j.peft.data.preference;

import dev.align4j.peft.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A prompt or a completion of preference data: plain text or a list of chat messages, as in TRL's
 * "standard" and "conversational" dataset types. Within one pair or example every part has the same
 * kind, so concatenation (prompt + completion, as TRL writes {@code example["prompt"] +
 * example["chosen"]}) is string or list concatenation.
 */
public sealed interface Segment permits Segment.Text, Segment.Chat {

  /** Plain text (TRL's standard format). */
  record Text(String text) implements Segment {
    public Text {
      Objects.requireNonNull(text, "text");
    }

    @Override
    public boolean isBlank() {
      return text.isBlank();
    }

    @Override
    public Segment concat(Segment tail) {
      if (!(tail instanceof Text t)) {
        throw new IllegalArgumentException("cannot append chat messages to text");
      }
      return new Text(text + t.text);
    }
  }

  /** Chat messages (TRL's conversational format: a list of {@code {"role", "content"}}). */
  record Chat(List<ChatMessage> messages) implements Segment {
    public Chat {
      messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
    }

    /** True when there is no message or every message's content is blank. */
    @Override
    public boolean isBlank() {
      return messages.stream().allMatch(m -> m.content().isBlank());
    }

    @Override
    public Segment concat(Segment tail) {
      if (!(tail instanceof Chat c)) {
        throw new IllegalArgumentException("cannot append text to chat messages");
      }
      List<ChatMessage> all = new ArrayList<>(messages);
      all.addAll(c.messages);
      return new Chat(all);
    }
  }

  /** No content: empty or whitespace-only text, or no message with non-blank content. */
  boolean isBlank();

  /** This segment followed by {@code tail}, which must be of the same kind. */
  Segment concat(Segment tail);

  /** Whether this is a conversation. */
  default boolean isChat() {
    return this instanceof Chat;
  }
}
