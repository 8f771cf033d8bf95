package dev.align4j.dpo;

import dev.align4j.peft.train.PairObjective;
import java.util.Arrays;

/**
 * One tokenised preference pair as TRL's {@code DPOTrainer} holds it after {@code _prepare_dataset}:
 * the prompt ids and the two completions' ids (completion = the tokenised prompt+completion minus the
 * tokenised prompt), optionally with precomputed reference log-probs.
 *
 * @param promptIds prompt tokens (chat template with the generation prompt, or plain text)
 * @param chosenIds the preferred completion's tokens (EOS included for text data)
 * @param rejectedIds the other completion's tokens
 * @param ref reference log-probs from the cache, or null when the reference runs live
 */
public record DpoPair(long[] promptIds, long[] chosenIds, long[] rejectedIds, RefLogps ref) implements PairObjective.Pair {
  /** Validates: a completion may be empty only if the other one is not (TRL keeps such rows). */
  public DpoPair {
    if (promptIds == null || chosenIds == null || rejectedIds == null) {
      throw new IllegalArgumentException("prompt, chosen and rejected ids are required");
    }
    if (promptIds.length + chosenIds.length < 1 || promptIds.length + rejectedIds.length < 1) {
      throw new IllegalArgumentException("a pair needs at least one token per sequence");
    }
  }

  /** A pair without reference log-probs. */
  public DpoPair(long[] promptIds, long[] chosenIds, long[] rejectedIds) {
    this(promptIds, chosenIds, rejectedIds, null);
  }

  /** This pair with {@code ref} attached. */
  public DpoPair withRef(RefLogps r) {
    return new DpoPair(promptIds, chosenIds, rejectedIds, r);
  }

  /** Tokens fed to the model for this pair (both sequences, untruncated). */
  public long tokens() {
    return 2L * promptIds.length + chosenIds.length + rejectedIds.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DpoPair p && Arrays.equals(promptIds, p.promptIds) && Arrays.equals(chosenIds, p.chosenIds)
        && Arrays.equals(rejectedIds, p.rejectedIds) && java.util.Objects.equals(ref, p.ref);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(promptIds) + Arrays.hashCode(chosenIds)) + Arrays.hashCode(rejectedIds);
  }

  @Override
  public String toString() {
    return "DpoPair[prompt=" + promptIds.length + " tokens, chosen=" + chosenIds.length + ", rejected="
        + rejectedIds.length + (ref == null ? "" : ", ref=" + ref) + "]";
  }
}
