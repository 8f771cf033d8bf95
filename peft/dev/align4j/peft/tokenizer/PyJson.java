package dev.align4j.peft.tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, the
 * {@code tojson} filter transformers installs for chat templates. Differs from Jinja's own tojson (no
 * HTML escaping) and from compact JSON writers (", " and ": " separators by default).
 */
final class PyJson {

  private PyJson() {
  }

  /**
   * Serialises {@code value} (maps, iterables, arrays, strings, numbers, booleans, null).
   *
   * @param indent null for single-line output, else the number of spaces per level
   * @param itemSep item separator, null for Python's default ({@code ", "}, or {@code ","} with indent)
   * @param keySep key separator, null for {@code ": "}
   */
  static String dumps(Object value, Integer indent, String itemSep, String keySep, boolean sortKeys) {
    String items = itemSep != null ? itemSep : (indent == null ? ", " : ",");
    String keys = keySep != null ? keySep : ": ";
    StringBuilder sb = new StringBuilder();
    write(sb, value, indent, items, keys, sortKeys, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, Integer indent, String items, String keys,
      boolean sort, int level) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Double || v instanceof Float) {
      sb.append(floatRepr(((Number) v).doubleValue()));
    } else if (v instanceof Number n) {
      sb.append(n instanceof BigDecimal bd ? bd.toPlainString() : n.toString());
    } else if (v instanceof Map<?, ?> map) {
      Map<?, ?> m = sort ? new TreeMap<>(map) : map;
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(items);
        }
        first = false;
        newline(sb, indent, level + 1);
        quote(sb, keyString(e.getKey()));
        sb.append(keys);
        write(sb, e.getValue(), indent, items, keys, sort, level + 1);
      }
      newline(sb, indent, level);
      sb.append('}');
    } else if (v instanceof Iterable<?> || v instanceof Object[]) {
      List<Object> list = new ArrayList<>();
      if (v instanceof Object[] arr) {
        list.addAll(List.of(arr));
      } else {
        ((Iterable<?>) v).forEach(list::add);
      }
      if (list.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(items);
        }
        newline(sb, indent, level + 1);
        write(sb, list.get(i), indent, items, keys, sort, level + 1);
      }
      newline(sb, indent, level);
      sb.append(']');
    } else {
      quote(sb, v.toString());
    }
  }

  private static String keyString(Object k) {
    if (k instanceof Boolean b) {
      return b ? "true" : "false";
    }
    if (k == null) {
      return "null";
    }
    return k instanceof Double d ? floatRepr(d) : k.toString();
  }

  private static void newline(StringBuilder sb, Integer indent, int level) {
    if (indent != null) {
      sb.append('\n').append(" ".repeat(indent * level));
    }
  }

  /** Python float repr: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    double a = Math.abs(d);
    if (a >= 1e16 || a < 1e-4) {
      String digits = bd.unscaledValue().abs().toString();
      int exp = digits.length() - 1 - bd.scale();
      String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return (d < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
    String plain = bd.toPlainString();
    return plain.contains(".") ? plain : plain + ".0";
  }

  /** Appends a JSON string literal escaped as json.dumps(ensure_ascii=False) does. */
  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
