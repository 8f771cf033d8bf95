package dev.align4j.peft.tokenizer;

/**
 * Source rewrites that make Jinja2 syntax jinjava does not parse mean the same thing in jinjava.
 * Rewrites touch only text inside {@code {{ }}} and {@code {% %}} delimiters, never literal output or
 * string literals:
 * <ul>
 *   <li>{@code x[::-1]} becomes {@code x|reverse|list} (jinjava has no slice step);</li>
 *   <li>keyword arguments of {@code namespace(...)} are parenthesised, {@code namespace(n=a|length - 1)}
 *       becoming {@code namespace(n=(a|length - 1))} (jinjava's filter/operator binding in named
 *       arguments differs);</li>
 *   <li>{@code not a == b} becomes {@code not (a == b)}: jinjava binds {@code not} tighter than
 *       comparisons, Jinja2 looser ({@link NotPrecedence});</li>
 *   <li>Python hex escapes in string literals (backslash followed by {@code xXX}, {@code uXXXX} or
 *       {@code UXXXXXXXX}) become the characters themselves;</li>
 *   <li>line endings are normalised to {@code \n} and one trailing newline is dropped, as Jinja2's
 *       lexer does ({@code keep_trailing_newline=False});</li>
 *   <li>{@code lstrip_blocks} is applied here, Jinja2's way: spaces and tabs before {@code {%} or
 *       {@code {#} are removed only when they start the line (jinjava's own option strips them mid-line
 *       too, e.g. the space in {@code Assistant:{% if x %} {% endif %}}).</li>
 * </ul>
 */
final class TemplateRewriter {

  private TemplateRewriter() {
  }

  static String rewrite(String source) {
    String normalised = source.replace("\r\n", "\n").replace('\r', '\n');
    if (normalised.endsWith("\n")) {
      normalised = normalised.substring(0, normalised.length() - 1);
    }
    return rewriteDelimited(ForLoopRewriter.rewrite(normalised));
  }

  private static String rewriteDelimited(String source) {
    StringBuilder out = new StringBuilder(source.length() + 32);
    int i = 0;
    while (i < source.length()) {
      int open = nextOpen(source, i);
      if (open < 0) {
        out.append(source, i, source.length());
        break;
      }
      boolean comment = source.startsWith("{#", open);
      int textEnd = open;
      if ((comment || source.startsWith("{%", open)) && !source.startsWith("+", open + 2)) {
        textEnd = lstrip(source, i, open);
      }
      out.append(source, i, textEnd);
      String close = source.startsWith("{{", open) ? "}}" : comment ? "#}" : "%}";
      int end = findClose(source, open + 2, close);
      if (end < 0) {
        out.append(source, open, source.length());
        break;
      }
      String body = source.substring(open + 2, end);
      out.append(source, open, open + 2).append(comment ? body : NotPrecedence.rewrite(rewriteExpr(body)))
          .append(close);
      i = end + 2;
    }
    return out.toString();
  }

  /**
   * End of the text {@code s[from, open)} once Jinja2's lstrip_blocks has removed the spaces and tabs
   * that run from the start of the tag's line (or of the template) to the tag.
   */
  private static int lstrip(String s, int from, int open) {
    int lineStart = s.lastIndexOf('\n', open - 1) + 1;
    if (lineStart < from && from != 0) {
      return open; // the tag shares its line with an earlier tag or expression
    }
    lineStart = Math.max(lineStart, from);
    for (int k = lineStart; k < open; k++) {
      if (s.charAt(k) != ' ' && s.charAt(k) != '\t') {
        return open;
      }
    }
    return lineStart;
  }

  static int nextOpen(String s, int from) {
    int best = -1;
    for (String d : new String[] {"{{", "{%", "{#"}) {
      int at = s.indexOf(d, from);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
      }
    }
    return best;
  }

  /** Finds the closing delimiter, skipping string literals. */
  static int findClose(String s, int from, String close) {
    if (close.equals("#}")) {
      return s.indexOf(close, from); // comments are free text: "doesn't" opens no string
    }
    char quote = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (s.startsWith(close, i)) {
        return i;
      }
    }
    return -1;
  }

  /** Rewrites one expression/statement body outside its string literals. */
  static String rewriteExpr(String body) {
    StringBuilder sb = new StringBuilder(body.length() + 16);
    char quote = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (quote != 0) {
        int hexLen = c == '\\' && i + 1 < body.length() ? hexEscapeLength(body.charAt(i + 1)) : 0;
        if (hexLen > 0 && isHex(body, i + 2, hexLen)) {
          // Python hex escapes (backslash x/u/U): jinjava's lexer rejects them.
          int cp = Integer.parseInt(body.substring(i + 2, i + 2 + hexLen), 16);
          if (cp == quote || cp == '\\') {
            sb.append('\\');
          }
          sb.appendCodePoint(cp);
          i += 1 + hexLen;
          continue;
        }
        sb.append(c);
        if (c == '\\' && i + 1 < body.length()) {
          sb.append(body.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        sb.append(c);
      } else if (body.startsWith("[::-1]", i)) {
        sb.append("|reverse|list");
        i += 5;
      } else if (body.startsWith("namespace(", i) && (i == 0 || !isIdent(body.charAt(i - 1)))) {
        int close = matchParen(body, i + 9);
        if (close < 0) {
          sb.append(c);
          continue;
        }
        sb.append("namespace(").append(parenthesiseKwargs(body.substring(i + 10, close))).append(')');
        i = close;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static int hexEscapeLength(char c) {
    return c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
  }

  private static boolean isHex(String s, int from, int len) {
    if (from + len > s.length()) {
      return false;
    }
    for (int k = from; k < from + len; k++) {
      if (Character.digit(s.charAt(k), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIdent(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '.';
  }

  /** Index of the parenthesis closing the one at {@code open}, skipping strings; -1 if none. */
  private static int matchParen(String s, int open) {
    return ExpressionScanner.scan(s, open, (i, c, depth) -> ExpressionScanner.isClose(c) && depth == 1);
  }

  /** {@code a=x|f - 1, b=''} becomes {@code a=(x|f - 1), b=('')}; positional arguments are kept. */
  private static String parenthesiseKwargs(String args) {
    StringBuilder sb = new StringBuilder();
    java.util.List<String> parts = new java.util.ArrayList<>();
    int[] start = {0};
    ExpressionScanner.scan(args, 0, (i, c, depth) -> {
      if (c == ',' && depth == 0) {
        parts.add(args.substring(start[0], i));
        start[0] = i + 1;
      }
      return false;
    });
    parts.add(args.substring(start[0]));
    for (int p = 0; p < parts.size(); p++) {
      String part = parts.get(p);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*)=(?!=)(.*)$",
          java.util.regex.Pattern.DOTALL).matcher(part);
      if (p > 0) {
        sb.append(',');
      }
      if (m.matches()) {
        sb.append(m.group(1)).append("=(").append(rewriteExpr(m.group(2).strip())).append(')');
      } else {
        sb.append(rewriteExpr(part));
      }
    }
    return sb.toString();
  }
}
