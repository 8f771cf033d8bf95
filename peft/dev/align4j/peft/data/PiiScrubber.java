package dev.align4j.peft.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Replaces personal information in text with typed placeholders ({@link PiiType#placeholder()}).
 *
 * <p>Detectors run in a fixed order so that a longer, more specific match wins: e-mail (may contain
 * digits), resident ID (18 digits could otherwise pass as a bank card, and contains phone-like runs),
 * bank card, mobile, landline, IPv4, labelled names, listed names. Every numeric detector is anchored
 * with {@code (?<!\d)} / {@code (?!\d)} instead of {@code \b}: Java's word boundary does not fire between
 * a CJK character and a digit (both are word characters), and digit-only boundaries also stop matches
 * inside longer digit runs. Candidates are then validated (ID checksum and birth date, Luhn, octets).
 *
 * <p>Instances accumulate counts across calls ({@link #report()}); not thread-safe.
 */
public final class PiiScrubber {
  private static final int MAX_EXAMPLES = 3;
  private static final int[] ID_WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  private static final String ID_CHECK = "10X98765432";
  private static final LocalDate MIN_BIRTH = LocalDate.of(1900, 1, 1);

  private static final Pattern EMAIL = Pattern.compile(
      "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}(?![A-Za-z0-9-])");
  private static final Pattern ID18 = Pattern.compile("(?<!\\d)[1-8]\\d{16}[\\dXx](?!\\d)");
  private static final Pattern ID15 = Pattern.compile("(?<!\\d)[1-8]\\d{14}(?!\\d)");
  private static final Pattern BANK_CARD = Pattern.compile(
      "(?<!\\d)(?:\\d{16,19}|\\d{4}(?:[ -]\\d{4}){3}(?:[ -]\\d{1,4})?)(?!\\d)");
  private static final Pattern MOBILE = Pattern.compile(
      "(?<![\\d+])(?:(?:\\+|00)?86[ -]?)?1[3-9]\\d[ -]?\\d{4}[ -]?\\d{4}(?!\\d)");
  private static final Pattern LANDLINE = Pattern.compile(
      "(?<!\\d)(?:\\(0\\d{2,3}\\)\\s?|0\\d{2,3}-)\\d{7,8}(?:(?:-|转|\\s?(?:ext|EXT|x|X)\\.?\\s?)\\d{1,6})?(?!\\d)");
  private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern IPV4 = Pattern.compile(
      "(?<!\\d)(?<!\\d\\.)" + OCTET + "(?:\\." + OCTET + "){3}(?!\\d)(?!\\.\\d)");
  /** Label, separator, then a CJK name of 2-4 characters (stopping before common next labels) or a Latin name. */
  private static final Pattern LABELLED_NAME = Pattern.compile(
      "(?:(?<![A-Za-z])(?i:full\\s?name|name)|姓名|联系人|收件人|收货人|户主|持卡人)\\s*[:：]\\s*"
          + "(?<name>(?:(?!电话|手机|邮箱|身份|地址|性别|年龄|联系|工号|部门|住址)[\\u4e00-\\u9fff·]){2,4}"
          + "|[A-Z][A-Za-z'-]+(?: [A-Z][A-Za-z'-]+){0,2})");

  private record Rule(PiiType type, Pattern pattern, String group, Predicate<String> valid, Function<String, String> mask) {
  }

  private final List<Rule> rules = new ArrayList<>();
  private final EnumMap<PiiType, Long> counts = new EnumMap<>(PiiType.class);
  private final EnumMap<PiiType, LinkedHashSet<String>> examples = new EnumMap<>(PiiType.class);

  /** A scrubber with no name list (labelled names are still found). */
  public PiiScrubber() {
    this(List.of());
  }

  /** A scrubber that also replaces every occurrence of the given names (blank entries ignored). */
  public PiiScrubber(Collection<String> names) {
    Objects.requireNonNull(names, "names");
    rules.add(new Rule(PiiType.EMAIL, EMAIL, null, s -> true, PiiScrubber::maskEmail));
    rules.add(new Rule(PiiType.ID, ID18, null, PiiScrubber::isValidId18, s -> maskMiddle(s, 4, 4)));
    rules.add(new Rule(PiiType.ID, ID15, null, PiiScrubber::isValidId15, s -> maskMiddle(s, 4, 4)));
    rules.add(new Rule(PiiType.BANK_CARD, BANK_CARD, null, PiiScrubber::isValidCard, s -> maskMiddle(s, 4, 4)));
    rules.add(new Rule(PiiType.PHONE, MOBILE, null, s -> true, s -> maskMiddle(s, s.length() - 8, 4)));
    rules.add(new Rule(PiiType.PHONE, LANDLINE, null, s -> true, s -> maskMiddle(s, 4, 2)));
    rules.add(new Rule(PiiType.IP, IPV4, null, s -> true, s -> s.substring(0, s.indexOf('.')) + ".*.*.*"));
    rules.add(new Rule(PiiType.NAME, LABELLED_NAME, "name", s -> true, PiiScrubber::maskName));
    List<String> list = names.stream().map(String::strip).filter(s -> !s.isEmpty()).distinct()
        .sorted(Comparator.comparingInt(String::length).reversed()).collect(Collectors.toList());
    if (!list.isEmpty()) {
      // Latin names must not match inside longer words; CJK text has no word separators to respect.
      String alt = list.stream().map(Pattern::quote).collect(Collectors.joining("|"));
      rules.add(new Rule(PiiType.NAME, Pattern.compile("(?<![A-Za-z])(?:" + alt + ")(?![A-Za-z])"), null,
          s -> true, PiiScrubber::maskName));
    }
  }

  /** Returns {@code text} with every detected item replaced by its placeholder; updates the report. */
  public String scrub(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String s = text;
    for (Rule r : rules) {
      s = apply(r, s);
    }
    return s;
  }

  /** Returns a deep copy of {@code record} with every string value (not keys) scrubbed. */
  public ObjectNode scrub(ObjectNode record) {
    ObjectNode copy = record.deepCopy();
    scrubInPlace(copy);
    return copy;
  }

  private void scrubInPlace(JsonNode node) {
    if (node instanceof ObjectNode obj) {
      Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      it.forEachRemaining(entries::add);
      for (Map.Entry<String, JsonNode> e : entries) {
        if (e.getValue().isTextual()) {
          obj.set(e.getKey(), TextNode.valueOf(scrub(e.getValue().textValue())));
        } else {
          scrubInPlace(e.getValue());
        }
      }
    } else if (node instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        if (arr.get(i).isTextual()) {
          arr.set(i, TextNode.valueOf(scrub(arr.get(i).textValue())));
        } else {
          scrubInPlace(arr.get(i));
        }
      }
    }
  }

  /** Counts and masked examples accumulated so far. */
  public ScrubReport report() {
    Map<PiiType, List<String>> ex = new EnumMap<>(PiiType.class);
    examples.forEach((k, v) -> ex.put(k, List.copyOf(v)));
    return new ScrubReport(counts, ex);
  }

  private String apply(Rule rule, String s) {
    Matcher m = rule.pattern.matcher(s);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      int start = rule.group == null ? m.start() : m.start(rule.group);
      int end = rule.group == null ? m.end() : m.end(rule.group);
      String hit = s.substring(start, end);
      if (!rule.valid.test(hit)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(s.length());
      }
      out.append(s, last, start).append(rule.type.placeholder());
      last = end;
      counts.merge(rule.type, 1L, Long::sum);
      LinkedHashSet<String> ex = examples.computeIfAbsent(rule.type, k -> new LinkedHashSet<>());
      if (ex.size() < MAX_EXAMPLES) {
        ex.add(rule.mask.apply(hit));
      }
    }
    if (out == null) {
      return s;
    }
    return out.append(s, last, s.length()).toString();
  }

  // ---- validators (package-private for tests) ----

  /** GB 11643-1999: weighted checksum over 17 digits plus a plausible birth date (1900..today). */
  static boolean isValidId18(String id) {
    if (id.length() != 18) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      sum += (c - '0') * ID_WEIGHTS[i];
    }
    char check = Character.toUpperCase(id.charAt(17));
    if (ID_CHECK.charAt(sum % 11) != check) {
      return false;
    }
    return plausibleBirth(Integer.parseInt(id.substring(6, 10)), Integer.parseInt(id.substring(10, 12)),
        Integer.parseInt(id.substring(12, 14)));
  }

  /** The check character GB 11643 assigns to the first 17 digits. */
  public static char idCheckChar(String first17) {
    if (first17.length() != 17 || !first17.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("need 17 digits: " + first17);
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += (first17.charAt(i) - '0') * ID_WEIGHTS[i];
    }
    return ID_CHECK.charAt(sum % 11);
  }

  /** Legacy 15-digit ID: area, yymmdd (19yy), sequence; only the date can be checked. */
  static boolean isValidId15(String id) {
    return id.length() == 15 && plausibleBirth(1900 + Integer.parseInt(id.substring(6, 8)),
        Integer.parseInt(id.substring(8, 10)), Integer.parseInt(id.substring(10, 12)));
  }

  private static boolean plausibleBirth(int y, int m, int d) {
    try {
      LocalDate date = LocalDate.of(y, m, d);
      return !date.isBefore(MIN_BIRTH) && !date.isAfter(LocalDate.now());
    } catch (DateTimeException e) {
      return false;
    }
  }

  /** 16-19 digits (separators ignored) passing the Luhn check. */
  static boolean isValidCard(String s) {
    String digits = s.replaceAll("[ -]", "");
    return digits.length() >= 16 && digits.length() <= 19 && luhn(digits);
  }

  /** Luhn (mod 10) check over a digit string. */
  public static boolean luhn(String digits) {
    int sum = 0;
    boolean dbl = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      if (dbl) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 == 0;
  }

  // ---- masks: examples in the report must not leak the values they describe ----

  static String maskMiddle(String s, int head, int tail) {
    head = Math.max(0, Math.min(head, s.length()));
    tail = Math.max(0, Math.min(tail, s.length() - head));
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean keep = i < head || i >= s.length() - tail || !Character.isLetterOrDigit(c);
      sb.append(keep ? c : '*');
    }
    return sb.toString();
  }

  private static String maskEmail(String s) {
    int at = s.indexOf('@');
    return s.charAt(0) + "***" + s.substring(at);
  }

  private static String maskName(String s) {
    return s.substring(0, 1) + "*".repeat(Math.max(1, s.length() - 1));
  }
}
