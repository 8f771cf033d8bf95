package dev.align4j.peft.data.preference;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One preference pair after parsing: the prompt and the two completions, all text or all chat. The
 * prompt is explicit or, when the record had none, the longest common prefix of chosen and rejected
 * ({@link ImplicitPrompt}); it may be blank (a reward-model pair without prompt). Content problems
 * (identical or blank sides) are not rejected here: {@link PreferenceChecks} counts them.
 *
 * @param file     the data file
 * @param line     1-based line where the record starts (JSONL line, or the line of the array element)
 * @param prompt   the shared prompt; for chat, the messages before the completions
 * @param chosen   the preferred completion; for chat, the assistant message(s) after the prompt
 * @param rejected the dispreferred completion
 * @param margin   the optional {@code margin} field (TRL's RewardTrainer adds it to the loss)
 * @param extras   other string-valued fields of the record, kept (such as the incident demo's
 *                 {@code kind}); TRL keeps extra columns and duplicates them when unpairing
 */
public record PreferencePair(Path file, long line, Segment prompt, Segment chosen, Segment rejected,
    OptionalDouble margin, Map<String, String> extras) {
  public PreferencePair {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(chosen, "chosen");
    Objects.requireNonNull(rejected, "rejected");
    Objects.requireNonNull(margin, "margin");
    extras = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(extras, "extras")));
    if (line < 0) {
      throw new IllegalArgumentException("line must be >= 0: " + line);
    }
    if (prompt.isChat() != chosen.isChat() || chosen.isChat() != rejected.isChat()) {
      throw new IllegalArgumentException("prompt, chosen and rejected must all be text or all be chat");
    }
  }

  /** A pair without margin and extras. */
  public static PreferencePair of(Path file, long line, Segment prompt, Segment chosen, Segment rejected) {
    return new PreferencePair(file, line, prompt, chosen, rejected, OptionalDouble.empty(), Map.of());
  }

  /** Whether the pair is conversational. */
  public boolean isChat() {
    return chosen.isChat();
  }

  /** {@code file:line}, for reports. */
  public String location() {
    return file + ":" + line;
  }
}
