package dev.align4j.rl.reward;

import java.util.Map;

/**
 * What a reward function sees of one completion (TRL passes the same: {@code prompts},
 * {@code completions}, {@code completion_ids} and the dataset's other columns as keyword arguments).
 *
 * @param prompt the prompt as text (a rendered chat template for conversational data)
 * @param completion the decoded completion, special tokens skipped
 * @param completionIds the generated token ids, up to and including the EOS if one was produced
 * @param extra the example's other fields (e.g. a reference answer), unmodifiable
 */
public record RewardInput(String prompt, String completion, int[] completionIds, Map<String, Object> extra) {
  /** Validates; copies {@code extra}. */
  public RewardInput {
    if (prompt == null || completion == null || completionIds == null) {
      throw new IllegalArgumentException("a reward input needs a prompt, a completion and its ids");
    }
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }
}
