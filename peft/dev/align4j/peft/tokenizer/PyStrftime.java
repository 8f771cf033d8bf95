package dev.align4j.peft.tokenizer;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale, for the {@code strftime_now} global that chat
 * templates (e.g. Llama 3.1's "Today Date: 26 Jul 2024") call. Supports the common directives and the
 * glibc no-padding flag ({@code %-d}).
 */
final class PyStrftime {

  private PyStrftime() {
  }

  static String format(LocalDateTime t, String fmt) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%' || i + 1 >= fmt.length()) {
        sb.append(c);
        continue;
      }
      char d = fmt.charAt(++i);
      boolean noPad = false;
      if (d == '-' && i + 1 < fmt.length()) {
        noPad = true;
        d = fmt.charAt(++i);
      }
      sb.append(directive(t, d, noPad));
    }
    return sb.toString();
  }

  private static String pad(int v, int width, boolean noPad) {
    return noPad ? Integer.toString(v) : String.format("%0" + width + "d", v);
  }

  private static String directive(LocalDateTime t, char d, boolean noPad) {
    int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
    return switch (d) {
      case 'Y' -> Integer.toString(t.getYear());
      case 'y' -> pad(t.getYear() % 100, 2, noPad);
      case 'm' -> pad(t.getMonthValue(), 2, noPad);
      case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
      case 'e' -> String.format("%2d", t.getDayOfMonth());
      case 'H' -> pad(t.getHour(), 2, noPad);
      case 'I' -> pad(hour12, 2, noPad);
      case 'M' -> pad(t.getMinute(), 2, noPad);
      case 'S' -> pad(t.getSecond(), 2, noPad);
      case 'f' -> String.format("%06d", t.getNano() / 1000);
      case 'j' -> pad(t.getDayOfYear(), 3, noPad);
      case 'p' -> t.getHour() < 12 ? "AM" : "PM";
      case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
      case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
      case 'F' -> format(t, "%Y-%m-%d");
      case 'T' -> format(t, "%H:%M:%S");
      case 'D' -> format(t, "%m/%d/%y");
      case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
      case 'x' -> format(t, "%m/%d/%y");
      case 'X' -> format(t, "%H:%M:%S");
      case 'Z', 'z' -> "";
      case '%' -> "%";
      default -> "%" + d;
    };
  }
}
