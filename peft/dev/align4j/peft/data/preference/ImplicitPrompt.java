package dev.align4j.peft.data.preference;

import dev.align4j.peft.tokenizer.ChatMessage;
import java.util.List;
import java.util.Objects;

/**
 * TRL's {@code extract_prompt} ({@code trl/data_utils.py}): when a pair has no prompt, the prompt is
 * the longest common prefix of chosen and rejected (characters for text, whole messages for chat), and
 * the completions are what follows it.
 *
 * <p>TRL's loop has two quirks, both kept so that the ids equal TRL's: when the two sides differ at
 * index {@code i} and the character before it is a space, the space goes to the completions (the prompt
 * is {@code chosen[:i-1]}); and when no index differs (one side is a prefix of the other, or they are
 * equal) the loop variable ends at {@code n-1}, so the prompt is the first {@code n-1} elements and the
 * completions keep the last shared one. One deliberate difference: when the very first character
 * differs and chosen ends with a space, TRL reads {@code chosen[-1]} and takes all of chosen but its
 * last character as the prompt; align4j keeps the prompt empty there. Empty sides (TRL raises
 * {@code UnboundLocalError}) give an empty prompt. Text is indexed by code points, as Python does.
 */
public final class ImplicitPrompt {
  private ImplicitPrompt() {
  }

  /**
   * The prompt and completions split off chosen and rejected.
   *
   * @param prompt   the common prefix
   * @param chosen   chosen without the prefix
   * @param rejected rejected without the prefix
   */
  public record Split(Segment prompt, Segment chosen, Segment rejected) {
    public Split {
      Objects.requireNonNull(prompt, "prompt");
      Objects.requireNonNull(chosen, "chosen");
      Objects.requireNonNull(rejected, "rejected");
    }
  }

  /** Splits {@code chosen} and {@code rejected} (both text or both chat) as TRL's extract_prompt does. */
  public static Split extract(Segment chosen, Segment rejected) {
    if (chosen instanceof Segment.Text c && rejected instanceof Segment.Text r) {
      int[] a = c.text().codePoints().toArray();
      int[] b = r.text().codePoints().toArray();
      int idx = splitIndex(a.length, b.length, i -> a[i] != b[i], i -> a[i] == ' ');
      return new Split(new Segment.Text(str(a, 0, idx)), new Segment.Text(str(a, idx, a.length)),
          new Segment.Text(str(b, idx, b.length)));
    }
    if (chosen instanceof Segment.Chat c && rejected instanceof Segment.Chat r) {
      List<ChatMessage> a = c.messages();
      List<ChatMessage> b = r.messages();
      int idx = splitIndex(a.size(), b.size(), i -> !a.get(i).equals(b.get(i)), i -> false);
      return new Split(new Segment.Chat(a.subList(0, idx)), new Segment.Chat(a.subList(idx, a.size())),
          new Segment.Chat(b.subList(idx, b.size())));
    }
    throw new IllegalArgumentException("chosen and rejected must both be text or both be chat");
  }

  private interface IntPredicate {
    boolean test(int i);
  }

  /** TRL's loop: the first differing index (a preceding space moved out), else min length - 1. */
  private static int splitIndex(int lenA, int lenB, IntPredicate differs, IntPredicate isSpace) {
    int n = Math.min(lenA, lenB);
    if (n == 0) {
      return 0;
    }
    for (int i = 0; i < n; i++) {
      if (differs.test(i)) {
        // TRL: `if chosen[idx - 1] == " ": idx -= 1`; at idx 0 Python would read the last character
        return i > 0 && isSpace.test(i - 1) ? i - 1 : i;
      }
    }
    return n - 1;
  }

  private static String str(int[] cps, int from, int to) {
    return new String(cps, from, to - from);
  }
}
