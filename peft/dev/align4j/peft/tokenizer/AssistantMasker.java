package dev.align4j.peft.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the tokens each assistant turn wrote, without {@code {% generation %}} tags, from the
 * template's own renderings.
 *
 * <p>Rule: render the whole conversation F. For assistant message i, render messages[0..i) with the
 * generation prompt: P_i must be a prefix of F (a template that rewrites earlier turns once later ones
 * arrive would break this, and is reported), and the turn starts where P_i ends. It ends after the
 * first end-of-turn token that follows (the tokenizer's EOS strings: {@code <|im_end|>}, {@code
 * <|eot_id|>}, {@code <｜end▁of▁sentence｜>}...), which is trained so that the model learns to stop.
 * Whatever a template inserts into the final turn (Qwen3's empty think block) lies inside the span,
 * since the model must produce it. Characters map to tokens through the tokenizer's offsets (code points).
 */
public final class AssistantMasker {
  private AssistantMasker() {}

  /** Renders and tokenises {@code messages}, masking assistant turns. */
  public static TokenizedChat tokenize(Tokenizer tok, ChatTemplate template, List<ChatMessage> messages) {
    String full = template.render(messages, false);
    Set<String> ends = endOfTurnStrings(tok);
    List<int[]> spans = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (!messages.get(i).role().equals("assistant")) {
        continue;
      }
      String prompt = template.render(messages.subList(0, i), true);
      if (!full.startsWith(prompt)) {
        throw new IllegalArgumentException("chat template is not prefix-stable at message " + i
            + ": rendering the conversation up to it with add_generation_prompt is not a prefix of the whole");
      }
      int start = prompt.length();
      int end = -1;
      for (String e : ends) {
        int at = full.indexOf(e, start);
        if (at >= 0 && (end < 0 || at + e.length() < end)) {
          end = at + e.length();
        }
      }
      if (end < 0) {
        throw new IllegalArgumentException("assistant message " + i + " is not followed by an end-of-turn token "
            + ends + " in the rendered template");
      }
      spans.add(new int[] {start, end});
    }
    Encoding enc = tok.encoding(full, false);
    long[] ids = enc.getIds();
    CharSpan[] offsets = enc.getCharTokenSpans();
    int[] charIndex = codePointToCharIndex(full);
    boolean[] mask = new boolean[ids.length];
    for (int k = 0; k < ids.length; k++) {
      CharSpan cs = offsets[k];
      if (cs == null) {
        continue;
      }
      int s = toChar(charIndex, cs.getStart());
      int e = toChar(charIndex, cs.getEnd());
      for (int[] span : spans) {
        if (s < span[1] && e > span[0]) {
          mask[k] = true;
        }
      }
    }
    return new TokenizedChat(full, ids, mask);
  }

  private static Set<String> endOfTurnStrings(Tokenizer tok) {
    Set<String> out = new LinkedHashSet<>();
    String eos = tok.specialTokens().get("eos_token");
    if (eos != null) {
      out.add(eos);
    }
    for (long id : tok.eosIds()) {
      String s = tok.decode(new long[] {id}, false);
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * The tokenizers library reports offsets in Unicode code points; this maps each code point index to
   * its Java (UTF-16) index, which differs only past characters outside the BMP.
   */
  private static int[] codePointToCharIndex(String s) {
    int n = s.codePointCount(0, s.length());
    int[] map = new int[n + 1];
    int c = 0;
    for (int i = 0; i < n; i++) {
      map[i] = c;
      c += Character.charCount(s.codePointAt(c));
    }
    map[n] = s.length();
    return map;
  }

  private static int toChar(int[] map, int offset) {
    return map[Math.max(0, Math.min(offset, map.length - 1))];
  }
}
