package dev.align4j.rl.rollout;

import java.util.Map;

/**
 * One prompt of an RL dataset.
 *
 * @param ids the prompt's tokens (chat template applied with the generation prompt, or plain text)
 * @param text the prompt as the reward functions see it (the rendered text)
 * @param fields the record's other columns (for rule-based rewards: e.g. a gold answer), as JSON text
 *     or plain strings
 */
public record RlPrompt(long[] ids, String text, Map<String, String> fields) {
  /** Copies and checks. */
  public RlPrompt {
    if (ids == null || ids.length == 0) {
      throw new IllegalArgumentException("a prompt needs at least one token");
    }
    ids = ids.clone();
    text = text == null ? "" : text;
    fields = fields == null ? Map.of() : Map.copyOf(fields);
  }

  @Override
  public long[] ids() {
    return ids.clone();
  }
}
