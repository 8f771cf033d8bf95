package dev.align4j.peft.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods for Jinja templates running on jinjava, with Python semantics: real
 * chat templates call {@code content.startswith('<tool_response>')}, {@code split('</think>')},
 * {@code strip('\n')}... which Java strings lack or spell differently ({@code split} there takes a
 * regex).
 */
final class PythonStringMethods extends ELResolver {
  private static final Set<String> METHODS = Set.of(
      "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "replace", "upper", "lower",
      "title", "capitalize", "find", "count", "join", "isspace", "isdigit");

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] args) {
    if (!(base instanceof String s) || method == null || !METHODS.contains(method.toString())) {
      return null;
    }
    Object[] a = args == null ? new Object[0] : args;
    Object result = switch (method.toString()) {
      case "startswith" -> s.startsWith(str(a, 0));
      case "endswith" -> s.endsWith(str(a, 0));
      case "strip" -> rstrip(lstrip(s, chars(a)), chars(a));
      case "lstrip" -> lstrip(s, chars(a));
      case "rstrip" -> rstrip(s, chars(a));
      case "split" -> split(s, a.length == 0 || a[0] == null ? null : a[0].toString());
      case "replace" -> s.replace(str(a, 0), str(a, 1));
      case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
      case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
      case "title" -> title(s);
      case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
          + s.substring(1).toLowerCase(java.util.Locale.ROOT);
      case "find" -> (long) s.indexOf(str(a, 0));
      case "count" -> count(s, str(a, 0));
      case "join" -> join(s, a.length == 0 ? null : a[0]);
      case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
      case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      default -> null;
    };
    context.setPropertyResolved(true);
    return result;
  }

  private static String str(Object[] a, int i) {
    if (i >= a.length || a[i] == null) {
      throw new IllegalArgumentException("string method needs argument " + (i + 1));
    }
    return a[i].toString();
  }

  /** Characters to strip: Python's default is whitespace (null here). */
  private static String chars(Object[] a) {
    return a.length == 0 || a[0] == null ? null : a[0].toString();
  }

  private static boolean strippable(char c, String chars) {
    return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
  }

  static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && strippable(s.charAt(i), chars)) {
      i++;
    }
    return s.substring(i);
  }

  static String rstrip(String s, String chars) {
    int j = s.length();
    while (j > 0 && strippable(s.charAt(j - 1), chars)) {
      j--;
    }
    return s.substring(0, j);
  }

  /** Python's str.split: by an exact separator keeping empty parts, or on whitespace runs. */
  static List<String> split(String s, String sep) {
    List<String> out = new ArrayList<>();
    if (sep == null) {
      for (String p : s.trim().split("\\s+")) {
        if (!p.isEmpty()) {
          out.add(p);
        }
      }
      return out;
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    int from = 0;
    int at;
    while ((at = s.indexOf(sep, from)) >= 0) {
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  private static String title(String s) {
    StringBuilder b = new StringBuilder(s.length());
    boolean start = true;
    for (char c : s.toCharArray()) {
      b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
      start = !Character.isLetter(c);
    }
    return b.toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1L;
    }
    long n = 0;
    int from = 0;
    int at;
    while ((at = s.indexOf(sub, from)) >= 0) {
      n++;
      from = at + sub.length();
    }
    return n;
  }

  private static String join(String sep, Object items) {
    List<String> parts = new ArrayList<>();
    if (items instanceof Iterable<?> it) {
      it.forEach(x -> parts.add(String.valueOf(x)));
    }
    return String.join(sep, parts);
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
