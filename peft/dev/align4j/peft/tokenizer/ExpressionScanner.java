package dev.align4j.peft.tokenizer;

/**
 * Walks a Jinja expression outside its string literals, tracking bracket depth: the one loop the
 * source rewrites share to find matching brackets, top-level commas and operators.
 */
final class ExpressionScanner {
  /** Sees one character outside string literals. */
  @FunctionalInterface
  interface Visitor {
    /**
     * @param depth bracket depth before this character ({@code ( [ {} open, {@code ) ] }} close)
     * @return true to stop the scan here
     */
    boolean visit(int index, char c, int depth);
  }

  private ExpressionScanner() {}

  /** Scans from {@code from}; returns the index where the visitor stopped, or -1. */
  static int scan(String s, int from, Visitor v) {
    int depth = 0;
    char quote = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        continue;
      }
      if (v.visit(i, c, depth)) {
        return i;
      }
      if (isOpen(c)) {
        depth++;
      } else if (isClose(c)) {
        depth--;
      }
    }
    return -1;
  }

  static boolean isOpen(char c) {
    return c == '(' || c == '[' || c == '{';
  }

  static boolean isClose(char c) {
    return c == ')' || c == ']' || c == '}';
  }
}
