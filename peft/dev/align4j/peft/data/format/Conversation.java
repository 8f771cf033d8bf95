package dev.align4j.peft.data.format;

import java.util.List;
import java.util.Objects;

/**
 * A normalised chat example. The system prompt is kept apart from the turns; turns never contain
 * {@link Role#SYSTEM}.
 *
 * @param system optional system prompt (null when absent)
 * @param turns  the user/assistant/tool turns in order
 */
public record Conversation(String system, List<Turn> turns) implements Example {
  public Conversation {
    turns = List.copyOf(Objects.requireNonNull(turns, "turns"));
    for (Turn t : turns) {
      if (t.role() == Role.SYSTEM) {
        throw new IllegalArgumentException("system prompt belongs in the system component, not in turns");
      }
    }
  }

  @Override
  public int charCount() {
    int n = system == null ? 0 : system.length();
    for (Turn t : turns) {
      n += t.content().length();
    }
    return n;
  }
}
