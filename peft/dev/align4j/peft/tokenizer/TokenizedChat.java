package dev.align4j.peft.tokenizer;

/**
 * A rendered, tokenised conversation.
 *
 * @param text the rendered template
 * @param ids its token ids (no special tokens added: the template holds them)
 * @param assistantMask {@code true} for every token an assistant turn wrote, its end-of-turn token
 *     included, its role header excluded
 */
public record TokenizedChat(String text, long[] ids, boolean[] assistantMask) {
  /** Number of masked (trained) tokens. */
  public int assistantTokens() {
    int n = 0;
    for (boolean b : assistantMask) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
