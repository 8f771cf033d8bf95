package dev.align4j.peft.data;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The canonical form used to compare texts for duplication: NFKC (folds full-width ASCII and
 * compatibility forms common in Chinese text), lower case, punctuation removed, whitespace runs
 * collapsed to one space, trimmed.
 */
public final class TextNormalizer {
  private static final Pattern PUNCT = Pattern.compile("\\p{P}+");
  private static final Pattern SPACE = Pattern.compile("\\s+");

  private TextNormalizer() {
  }

  /** Normalises {@code text} as described in the class comment. */
  public static String normalize(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    s = PUNCT.matcher(s).replaceAll(" ");
    return SPACE.matcher(s).replaceAll(" ").strip();
  }
}
