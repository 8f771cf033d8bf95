package dev.align4j.peft.tokenizer;

import java.util.Objects;

/**
 * A rendered, tokenised conversation and which of its tokens the assistant wrote.
 *
 * @param ids token ids of the rendered chat (no special tokens added beyond what the template emits)
 * @param assistantMask {@code assistantMask[t]} is true when token {@code t} is part of an assistant
 *     turn's content or its end-of-turn token; same length as {@code ids}
 */
public record TokenizedChat(long[] ids, boolean[] assistantMask) {

  /** Validates that both arrays are present and equally long. */
  public TokenizedChat {
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(assistantMask, "assistantMask");
    if (ids.length != assistantMask.length) {
      throw new IllegalArgumentException("ids has " + ids.length + " tokens but assistantMask has "
          + assistantMask.length);
    }
  }

  /** Number of tokens. */
  public int length() {
    return ids.length;
  }

  /** Number of assistant tokens. */
  public int assistantTokenCount() {
    int n = 0;
    for (boolean b : assistantMask) {
      if (b) {
        n++;
      }
    }
    return n;
  }
}
