package dev.align4j.peft.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Source rewrites for the parts of Jinja2's {@code for} loop jinjava lacks:
 * <ul>
 *   <li>the loop filter {@code {% for x in seq if cond %}}: becomes
 *       {@code {% for x in (seq)|a4j_loop_if('x', '<cond, base64>') %}}; the filter
 *       ({@link TemplateShims.LoopIfFilter}) keeps the items for which {@code cond} holds with the loop
 *       variables bound, so {@code loop.index}, {@code loop.last}, ... count the kept items as in Jinja2;</li>
 *   <li>{@code loop.previtem} and {@code loop.nextitem}: the loop's sequence is first stored in a variable
 *       ({@code {% set a4j_loop_N = seq %}{% for x in a4j_loop_N %}}) and the attributes become
 *       {@code (a4j_loop_N[loop.index0 - 1] if loop.index0 > 0 else null)} and the like (undefined at the
 *       ends, as in Jinja2).</li>
 * </ul>
 * Runs on the whole source before {@link TemplateRewriter}'s per-expression rewrites; it touches only
 * {@code for}/{@code endfor} tags and expressions naming {@code loop.previtem}/{@code loop.nextitem}.
 */
final class ForLoopRewriter {

  private static final Pattern FOR = Pattern.compile("^(\\s*)for\\s+(.+?)\\s+in\\s+(.*?)\\s*$", Pattern.DOTALL);
  private static final Pattern TAG_NAME = Pattern.compile("^[-+]?\\s*(\\w+)");

  private ForLoopRewriter() {
  }

  static String rewrite(String source) {
    if (!source.contains("for ")) {
      return source;
    }
    StringBuilder out = new StringBuilder(source.length() + 64);
    Deque<Integer> loops = new ArrayDeque<>();   // sequence variable index of each open loop, -1: none
    int counter = 0;
    int i = 0;
    while (i < source.length()) {
      int open = TemplateRewriter.nextOpen(source, i);
      if (open < 0 || source.startsWith("{#", open)) {
        int to = open < 0 ? source.length() : TemplateRewriter.findClose(source, open + 2, "#}");
        to = open < 0 || to < 0 ? source.length() : to + 2;
        out.append(source, i, to);
        i = to;
        continue;
      }
      boolean statement = source.startsWith("{%", open);
      String close = statement ? "%}" : "}}";
      int end = TemplateRewriter.findClose(source, open + 2, close);
      if (end < 0) {
        out.append(source, i, source.length());
        break;
      }
      out.append(source, i, open);
      String body = source.substring(open + 2, end);
      String name = tagName(body);
      if (statement && name.equals("for")) {
        boolean needsSeq = usesNeighbours(source, end + 2);
        int id = needsSeq ? counter++ : -1;
        loops.push(id);
        out.append(forTag(body, id));
      } else {
        if (statement && name.equals("endfor") && !loops.isEmpty()) {
          loops.pop();
        }
        String b = body;
        if (!loops.isEmpty() && loops.peek() >= 0) {
          String seq = "a4j_loop_" + loops.peek();
          b = b.replace("loop.previtem", "(" + seq + "[loop.index0 - 1] if loop.index0 > 0 else null)")
              .replace("loop.nextitem", "(" + seq + "[loop.index0 + 1] if not loop.last else null)");
        }
        out.append(source, open, open + 2).append(b).append(close);
      }
      i = end + 2;
    }
    return out.toString();
  }

  private static String tagName(String body) {
    Matcher m = TAG_NAME.matcher(body);
    return m.find() ? m.group(1) : "";
  }

  /** Rewrites one {@code for} tag body (between its delimiters) into one or two tags. */
  private static String forTag(String body, int seqId) {
    String lead = body.startsWith("-") || body.startsWith("+") ? body.substring(0, 1) : "";
    String trail = body.endsWith("-") ? "-" : "";
    String inner = body.substring(lead.length(), body.length() - trail.length());
    Matcher m = FOR.matcher(inner);
    if (!m.matches()) {
      return "{%" + body + "%}";
    }
    String vars = m.group(2).strip();
    String rest = m.group(3);
    String seq = rest;
    int ifAt = topLevelKeyword(rest, "if");
    if (ifAt >= 0) {
      String cond = rest.substring(ifAt + 2).strip();
      String b64 = Base64.getEncoder().encodeToString(cond.getBytes(StandardCharsets.UTF_8));
      seq = "(" + rest.substring(0, ifAt).strip() + ")|a4j_loop_if('" + vars.replace(" ", "") + "', '" + b64
          + "')";
    }
    if (seqId < 0) {
      return "{%" + lead + m.group(1) + "for " + vars + " in " + seq + " " + trail + "%}";
    }
    String var = "a4j_loop_" + seqId;
    return "{%" + lead + " set " + var + " = " + seq + " %}{% for " + vars + " in " + var + " " + trail + "%}";
  }

  /** Index of the keyword at bracket depth 0 outside strings, as a whole word; -1 if none. */
  static int topLevelKeyword(String s, String word) {
    return ExpressionScanner.scan(s, 0, (i, c, depth) -> depth == 0 && s.startsWith(word, i)
        && (i == 0 || !isIdent(s.charAt(i - 1)))
        && (i + word.length() >= s.length() || !isIdent(s.charAt(i + word.length()))));
  }

  private static boolean isIdent(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '.';
  }

  /** Whether the loop body starting at {@code from} (up to its endfor) names previtem or nextitem. */
  private static boolean usesNeighbours(String source, int from) {
    int depth = 1;
    int i = from;
    while (i < source.length()) {
      int open = source.indexOf("{%", i);
      if (open < 0) {
        return false;
      }
      int end = TemplateRewriter.findClose(source, open + 2, "%}");
      if (end < 0) {
        return false;
      }
      String name = tagName(source.substring(open + 2, end));
      if (name.equals("for")) {
        depth++;
      } else if (name.equals("endfor") && --depth == 0) {
        String bodyText = source.substring(from, open);
        return bodyText.contains("loop.previtem") || bodyText.contains("loop.nextitem");
      }
      i = end + 2;
    }
    return false;
  }
}
