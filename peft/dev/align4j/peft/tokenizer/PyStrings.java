package dev.align4j.peft.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} methods that Hugging Face chat templates call ({@code content.startswith('x')},
 * {@code content.split('</think>')[-1].lstrip('\n')}, ...), with CPython semantics: {@code split} takes
 * a literal separator (not a regex), {@code strip(chars)} strips any of the given characters, and
 * whitespace means {@link Character#isWhitespace} plus the few extra code points Python counts.
 */
final class PyStrings {

  private PyStrings() {
  }

  /** Whether {@code name} is a str method this class implements. */
  static boolean supports(String name) {
    return switch (name) {
      case "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
          "replace", "upper", "lower", "title", "capitalize", "find", "rfind", "count", "join",
          "isspace", "isdigit", "isalpha", "isalnum", "isupper", "islower", "removeprefix",
          "removesuffix", "format" -> true;
      default -> false;
    };
  }

  /** Calls the Python str method {@code name} on {@code s}. */
  static Object call(String s, String name, Object[] args) {
    Object a0 = args.length > 0 ? args[0] : null;
    Object a1 = args.length > 1 ? args[1] : null;
    return switch (name) {
      case "startswith" -> anyMatch(a0, p -> s.startsWith(p));
      case "endswith" -> anyMatch(a0, p -> s.endsWith(p));
      case "strip" -> rstrip(lstrip(s, str(a0)), str(a0));
      case "lstrip" -> lstrip(s, str(a0));
      case "rstrip" -> rstrip(s, str(a0));
      case "split" -> split(s, str(a0), a1 == null ? -1 : ((Number) a1).intValue());
      case "rsplit" -> rsplit(s, str(a0), a1 == null ? -1 : ((Number) a1).intValue());
      case "splitlines" -> List.of(s.split("\r\n|\r|\n", -1)).subList(0, lines(s));
      case "replace" -> replace(s, str(a0), str(a1), args.length > 2 ? ((Number) args[2]).intValue() : -1);
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> title(s);
      case "capitalize" -> s.isEmpty() ? s
          : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      case "find" -> (long) s.indexOf(str(a0));
      case "rfind" -> (long) s.lastIndexOf(str(a0));
      case "count" -> (long) count(s, str(a0));
      case "join" -> join(s, a0);
      case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(PyStrings::isPyWhitespace);
      case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
      case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
      case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
      case "isupper" -> !s.equals(s.toLowerCase(Locale.ROOT)) && s.equals(s.toUpperCase(Locale.ROOT));
      case "islower" -> !s.equals(s.toUpperCase(Locale.ROOT)) && s.equals(s.toLowerCase(Locale.ROOT));
      case "removeprefix" -> s.startsWith(str(a0)) ? s.substring(str(a0).length()) : s;
      case "removesuffix" -> s.endsWith(str(a0)) && !str(a0).isEmpty()
          ? s.substring(0, s.length() - str(a0).length()) : s;
      case "format" -> format(s, args);
      default -> throw new IllegalArgumentException("unsupported str method: " + name);
    };
  }

  private static int lines(String s) {
    String[] parts = s.split("\r\n|\r|\n", -1);
    // Python drops the empty piece after a trailing line break.
    return parts.length > 0 && parts[parts.length - 1].isEmpty() ? parts.length - 1 : parts.length;
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  private static boolean anyMatch(Object prefixes, java.util.function.Predicate<String> test) {
    if (prefixes instanceof Iterable<?> it) {
      for (Object p : it) {
        if (test.test(String.valueOf(p))) {
          return true;
        }
      }
      return false;
    }
    return test.test(String.valueOf(prefixes));
  }

  /** Python's str.isspace() definition for one code point. */
  static boolean isPyWhitespace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || (cp >= 0x1c && cp <= 0x1f)
        || cp == 0x85;
  }

  private static boolean strippable(int cp, String chars) {
    return chars == null ? isPyWhitespace(cp) : chars.indexOf(cp) >= 0;
  }

  static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      if (!strippable(cp, chars)) {
        break;
      }
      i += Character.charCount(cp);
    }
    return s.substring(i);
  }

  static String rstrip(String s, String chars) {
    int j = s.length();
    while (j > 0) {
      int cp = s.codePointBefore(j);
      if (!strippable(cp, chars)) {
        break;
      }
      j -= Character.charCount(cp);
    }
    return s.substring(0, j);
  }

  static List<String> split(String s, String sep, int maxsplit) {
    List<String> out = new ArrayList<>();
    if (sep == null) {
      String rest = lstrip(s, null);
      while (!rest.isEmpty()) {
        if (maxsplit >= 0 && out.size() == maxsplit) {
          out.add(rest);
          return out;
        }
        int k = 0;
        while (k < rest.length() && !isPyWhitespace(rest.codePointAt(k))) {
          k += Character.charCount(rest.codePointAt(k));
        }
        out.add(rest.substring(0, k));
        rest = lstrip(rest.substring(k), null);
      }
      return out;
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("ValueError: empty separator");
    }
    int from = 0;
    while (true) {
      int at = s.indexOf(sep, from);
      if (at < 0 || (maxsplit >= 0 && out.size() == maxsplit)) {
        out.add(s.substring(from));
        return out;
      }
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
  }

  private static List<String> rsplit(String s, String sep, int maxsplit) {
    if (sep == null || maxsplit < 0) {
      return split(s, sep, maxsplit);
    }
    List<String> out = new ArrayList<>();
    int end = s.length();
    while (out.size() < maxsplit) {
      int at = s.lastIndexOf(sep, end - sep.length());
      if (at < 0) {
        break;
      }
      out.add(0, s.substring(at + sep.length(), end));
      end = at;
    }
    out.add(0, s.substring(0, end));
    return out;
  }

  private static String replace(String s, String old, String rep, int count) {
    if (count < 0) {
      return s.replace(old, rep);
    }
    StringBuilder sb = new StringBuilder();
    int from = 0;
    for (int n = 0; n < count; n++) {
      int at = s.indexOf(old, from);
      if (at < 0) {
        break;
      }
      sb.append(s, from, at).append(rep);
      from = at + old.length();
      if (old.isEmpty()) {
        if (from < s.length()) {
          sb.append(s.charAt(from));
        }
        from++;
      }
    }
    if (from <= s.length()) {
      sb.append(s.substring(Math.min(from, s.length())));
    }
    return sb.toString();
  }

  private static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean prevCased = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      boolean cased = Character.isLetter(cp);
      sb.appendCodePoint(cased ? (prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp)) : cp);
      prevCased = cased;
      i += Character.charCount(cp);
    }
    return sb.toString();
  }

  private static int count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.codePointCount(0, s.length()) + 1;
    }
    int n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static String join(String sep, Object items) {
    List<String> parts = new ArrayList<>();
    if (items instanceof Iterable<?> it) {
      it.forEach(o -> parts.add(String.valueOf(o)));
    } else if (items instanceof Object[] arr) {
      for (Object o : arr) {
        parts.add(String.valueOf(o));
      }
    } else {
      throw new IllegalArgumentException("TypeError: join() argument must be iterable");
    }
    return String.join(sep, parts);
  }

  /** Positional {@code {}} / {@code {0}} replacement only; enough for the templates seen in practice. */
  private static String format(String s, Object[] args) {
    StringBuilder sb = new StringBuilder();
    int auto = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
        sb.append('{');
        i++;
      } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
        sb.append('}');
        i++;
      } else if (c == '{') {
        int close = s.indexOf('}', i);
        String key = s.substring(i + 1, close);
        int idx = key.isEmpty() ? auto++ : Integer.parseInt(key);
        sb.append(args[idx]);
        i = close;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
