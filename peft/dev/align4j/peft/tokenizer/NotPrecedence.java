package dev.align4j.peft.tokenizer;

/**
 * Rewrites {@code not <operand> <cmp> <operand>} to {@code not (<operand> <cmp> <operand>)} inside one
 * Jinja expression. Jinja2 gives {@code not} lower precedence than comparisons ({@code not a == b} is
 * {@code not (a == b)}); jinjava's default parser binds it tighter ({@code (not a) == b}), and its
 * "natural precedence" mode breaks {@code not x is defined}. The operand of {@code not} extends to the
 * next top-level {@code and}/{@code or}/{@code if}/{@code else}, comma, or closing bracket; it is
 * parenthesised only when it contains a top-level comparison ({@code == != < > <= >= in}).
 * {@code is not} and {@code not in} are left alone.
 */
final class NotPrecedence {

  private NotPrecedence() {
  }

  static String rewrite(String body) {
    StringBuilder sb = new StringBuilder(body.length() + 8);
    int i = 0;
    char quote = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (quote != 0) {
        sb.append(c);
        if (c == '\\' && i + 1 < body.length()) {
          sb.append(body.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
        i++;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        sb.append(c);
        i++;
        continue;
      }
      if (isWordAt(body, i, "not") && !precededByIs(body, i) && !followedByIn(body, i + 3)) {
        int start = i + 3;
        int end = operandEnd(body, start);
        String operand = body.substring(start, end);
        sb.append("not");
        if (hasTopLevelComparison(operand)) {
          String inner = rewrite(operand.strip());
          sb.append(" (").append(inner).append(')');
          // keep the trailing whitespace the operand had
          sb.append(operand.substring(operand.stripTrailing().length()));
        } else {
          sb.append(rewrite(operand));
        }
        i = end;
        continue;
      }
      sb.append(c);
      i++;
    }
    return sb.toString();
  }

  private static boolean isIdentChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private static boolean isWordAt(String s, int i, String word) {
    return s.startsWith(word, i) && (i == 0 || !isIdentChar(s.charAt(i - 1)) && s.charAt(i - 1) != '.')
        && (i + word.length() >= s.length() || !isIdentChar(s.charAt(i + word.length())));
  }

  private static boolean precededByIs(String s, int i) {
    String before = s.substring(0, i).stripTrailing();
    return before.endsWith(" is") || before.equals("is");
  }

  private static boolean followedByIn(String s, int i) {
    String after = s.substring(i).stripLeading();
    return after.startsWith("in") && (after.length() == 2 || !isIdentChar(after.charAt(2)));
  }

  /** End (exclusive) of the operand of a {@code not} starting at {@code from}. */
  private static int operandEnd(String s, int from) {
    int end = ExpressionScanner.scan(s, from, (i, c, depth) -> depth == 0 && (ExpressionScanner.isClose(c)
        || c == ',' || c == '%' && s.startsWith("%}", i)
        || isWordAt(s, i, "and") || isWordAt(s, i, "or") || isWordAt(s, i, "if") || isWordAt(s, i, "else")));
    return end < 0 ? s.length() : end;
  }

  private static boolean hasTopLevelComparison(String s) {
    return ExpressionScanner.scan(s, 0, (i, c, depth) -> depth == 0 && !ExpressionScanner.isOpen(c)
        && !ExpressionScanner.isClose(c)
        && (c == '=' && i + 1 < s.length() && s.charAt(i + 1) == '='
          || c == '!' && i + 1 < s.length() && s.charAt(i + 1) == '='
          || c == '<' || c == '>' || isWordAt(s, i, "in"))) >= 0;
  }
}
