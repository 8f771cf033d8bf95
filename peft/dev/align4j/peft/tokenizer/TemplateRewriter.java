package dev.align4j.peft.tokenizer;

/**
 * Source rewrites that turn Jinja2 syntax jinjava does not parse into equivalents it does, applied
 * before compilation: {@code x[::-1]} becomes {@code (x|reverse|list)}, and each keyword argument of
 * {@code namespace(...)} is parenthesised (jinjava otherwise binds {@code a=b|length - 1} as
 * {@code (a=b|length) - 1}).
 */
final class TemplateRewriter {
  private TemplateRewriter() {}

  static String rewrite(String src) {
    return namespaceArguments(reverseSlices(src));
  }

  /** {@code expr[::-1]} -> {@code (expr|reverse|list)} for a dotted name or call-free expression. */
  static String reverseSlices(String src) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int at;
    while ((at = src.indexOf("[::-1]", i)) >= 0) {
      int start = at;
      while (start > i && (Character.isLetterOrDigit(src.charAt(start - 1)) || src.charAt(start - 1) == '_'
          || src.charAt(start - 1) == '.')) {
        start--;
      }
      out.append(src, i, start).append('(').append(src, start, at).append("|reverse|list)");
      i = at + "[::-1]".length();
    }
    return out.append(src.substring(i)).toString();
  }

  /** Parenthesises every {@code key=value} inside {@code namespace(...)}. */
  static String namespaceArguments(String src) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int at;
    while ((at = src.indexOf("namespace(", i)) >= 0) {
      int open = at + "namespace(".length();
      int close = matching(src, open - 1);
      if (close < 0) {
        break;
      }
      out.append(src, i, open);
      String[] args = splitTopLevel(src.substring(open, close));
      for (int k = 0; k < args.length; k++) {
        String a = args[k];
        int eq = a.indexOf('=');
        if (k > 0) {
          out.append(", ");
        }
        if (eq > 0 && a.charAt(eq + 1) != '=') {
          out.append(a.substring(0, eq).trim()).append("=(").append(a.substring(eq + 1).trim()).append(')');
        } else {
          out.append(a.trim());
        }
      }
      out.append(')');
      i = close + 1;
    }
    return out.append(src.substring(i)).toString();
  }

  private static int matching(String s, int openParen) {
    int depth = 0;
    char quote = 0;
    for (int j = openParen; j < s.length(); j++) {
      char c = s.charAt(j);
      if (quote != 0) {
        if (c == '\\') {
          j++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
        if (depth == 0) {
          return j;
        }
      }
    }
    return -1;
  }

  private static String[] splitTopLevel(String s) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    int depth = 0;
    char quote = 0;
    int from = 0;
    for (int j = 0; j < s.length(); j++) {
      char c = s.charAt(j);
      if (quote != 0) {
        if (c == '\\') {
          j++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(s.substring(from, j));
        from = j + 1;
      }
    }
    if (from < s.length() && !s.substring(from).isBlank()) {
      parts.add(s.substring(from));
    }
    return parts.toArray(new String[0]);
  }
}
