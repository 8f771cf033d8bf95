package dev.align4j.dpo;

import java.util.ArrayList;
import java.util.List;

/**
 * One tokenised unpaired example of KTO as TRL 1.13's {@code KTOTrainer} holds it: a prompt, a
 * completion, whether it is desirable, the mismatched completion of its KL term, and optionally the
 * reference's log-probs of both.
 *
 * @param promptIds prompt tokens
 * @param completionIds completion tokens
 * @param desirable the label (true: desirable / chosen)
 * @param klCompletionIds another example's completion, scored after this prompt for the KL estimate
 * @param ref reference log-probs {@code (completion, KL completion)} from the cache, or null
 */
public record KtoExample(long[] promptIds, long[] completionIds, boolean desirable, long[] klCompletionIds,
    RefLogps ref) {
  /** Validates. */
  public KtoExample {
    if (promptIds == null || completionIds == null || klCompletionIds == null) {
      throw new IllegalArgumentException("prompt, completion and KL completion ids are required");
    }
  }

  /** With {@code r}: {@code chosen} is the completion's reference log-prob, {@code rejected} the KL completion's. */
  public KtoExample withRef(RefLogps r) {
    return new KtoExample(promptIds, completionIds, desirable, klCompletionIds, r);
  }

  /**
   * TRL's KL completions: within each consecutive block of {@code batchSize} examples (the dataset's
   * order, the last block possibly shorter) the completions rotate by one, {@code (x_1, y_n), (x_2,
   * y_1), ..., (x_n, y_{n-1})}.
   */
  public static List<KtoExample> withKlCompletions(List<long[]> prompts, List<long[]> completions, boolean[] labels,
      int batchSize) {
    List<KtoExample> out = new ArrayList<>();
    for (int start = 0; start < prompts.size(); start += batchSize) {
      int end = Math.min(prompts.size(), start + batchSize);
      for (int i = start; i < end; i++) {
        int from = i == start ? end - 1 : i - 1;
        out.add(new KtoExample(prompts.get(i), completions.get(i), labels[i], completions.get(from), null));
      }
    }
    return out;
  }
}
