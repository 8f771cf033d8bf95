package dev.align4j.peft.data.preference;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One unpaired (KTO) example: a prompt, a completion and whether the completion is desirable, all
 * text or all chat. Paired data becomes unpaired through {@link Unpairing}.
 *
 * @param file       the data file
 * @param line       1-based line where the record starts
 * @param prompt     the prompt (may be blank; {@link PreferenceChecks} reports it)
 * @param completion the completion
 * @param label      true for a desirable completion
 * @param extras     other string-valued fields of the record
 */
public record UnpairedExample(Path file, long line, Segment prompt, Segment completion, boolean label,
    Map<String, String> extras) {
  public UnpairedExample {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
    extras = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(extras, "extras")));
    if (line < 0) {
      throw new IllegalArgumentException("line must be >= 0: " + line);
    }
    if (prompt.isChat() != completion.isChat()) {
      throw new IllegalArgumentException("prompt and completion must both be text or both be chat");
    }
  }

  /** Whether the example is conversational. */
  public boolean isChat() {
    return completion.isChat();
  }

  /** {@code file:line}, for reports. */
  public String location() {
    return file + ":" + line;
  }
}
