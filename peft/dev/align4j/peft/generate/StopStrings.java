package dev.align4j.peft.generate;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Finds stop strings in one growing completion by decoding only its new tail each token.
 *
 * <p>New text is found as text-generation-inference does: decode the tokens from a prefix offset
 * twice, once up to the previous read offset and once to the end, and take the difference; a tail
 * that ends in U+FFFD (an incomplete UTF-8 sequence split across tokens) waits for the next token.
 * Both decodes share their first tokens, so a tokenizer's context-dependent output (a word-start
 * space, merged bytes) cancels out. A stop string is then searched for only in the new text plus the
 * last {@code (longest stop - 1)} characters before it, so each step costs a few tokens of decoding
 * however long the completion grows.
 */
final class StopStrings {
  private final List<String> stops;
  private final Function<long[], String> decoder;
  private final int keep;
  private long[] tokens = new long[16];
  private int count;
  private int prefixOffset;
  private int readOffset;
  private String tail = "";

  /** A matcher for one completion; {@code decoder} turns ids into text. */
  StopStrings(List<String> stops, Function<long[], String> decoder) {
    this.stops = stops;
    this.decoder = decoder;
    int longest = 0;
    for (String s : stops) {
      longest = Math.max(longest, s.length());
    }
    this.keep = Math.max(0, longest - 1);
  }

  /** Adds the next token; true when a stop string has now appeared in the decoded completion. */
  boolean accept(long token) {
    if (count == tokens.length) {
      tokens = Arrays.copyOf(tokens, 2 * count);
    }
    tokens[count++] = token;
    String fresh = newText();
    if (fresh.isEmpty()) {
      return false;
    }
    String window = tail + fresh;
    boolean found = false;
    for (String s : stops) {
      if (window.contains(s)) {
        found = true;
        break;
      }
    }
    tail = window.substring(Math.max(0, window.length() - keep));
    return found;
  }

  private String newText() {
    String before = decoder.apply(Arrays.copyOfRange(tokens, prefixOffset, readOffset));
    String after = decoder.apply(Arrays.copyOfRange(tokens, prefixOffset, count));
    if (after.length() > before.length() && !after.endsWith("\uFFFD")) {
      prefixOffset = readOffset;
      readOffset = count;
      return after.substring(before.length());
    }
    return "";
  }
}
