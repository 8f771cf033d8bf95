package dev.align4j.peft.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter.InterpreterScopeClosable;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The globals, filter and tag that transformers adds to the Jinja environment, for jinjava. */
final class TemplateShims {

  /** Context key holding the {@link LocalDateTime} that {@code strftime_now} formats. */
  static final String NOW_KEY = "__align4j_now__";

  private TemplateShims() {
  }

  /** Stands for a global function when a template uses its name as a value ({@code is defined}). */
  enum FunctionMarker {
    STRFTIME_NOW, RAISE_EXCEPTION;

    @Override
    public String toString() {
      return "<function " + name().toLowerCase(java.util.Locale.ROOT) + ">";
    }
  }

  /** Thrown by {@code raise_exception(msg)}; jinjava records it, {@link ChatTemplate} rethrows it. */
  static final class RaisedException extends RuntimeException {
    RaisedException(String message) {
      super(message);
    }
  }

  /** {@code raise_exception(message)}. */
  public static Object raiseException(Object message) {
    throw new RaisedException(String.valueOf(message));
  }

  /** {@code strftime_now(format)} over the render's injected date. */
  public static String strftimeNow(String format) {
    Object now = JinjavaInterpreter.getCurrent().getContext().get(NOW_KEY);
    return PyStrftime.format(now instanceof LocalDateTime t ? t : LocalDateTime.now(), format);
  }

  /** {@code tojson} as transformers defines it: json.dumps(x, ensure_ascii=False, ...). */
  static final class ToJsonFilter implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, (Object[]) args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
      String itemSep = null;
      String keySep = null;
      if (kwargs.get("separators") instanceof List<?> seps && seps.size() == 2) {
        itemSep = String.valueOf(seps.get(0));
        keySep = String.valueOf(seps.get(1));
      }
      boolean sort = Boolean.TRUE.equals(kwargs.get("sort_keys"));
      Integer ind = indent == null ? null : Integer.valueOf(((Number) indent).intValue());
      return PyJson.dumps(var, ind, itemSep, keySep, sort);
    }
  }

  /**
   * {@code {% generation %}...{% endgeneration %}}: transformers uses it to track assistant tokens;
   * for rendering it only outputs its body. {@link AssistantMasker} does not rely on it.
   */
  static final class GenerationTag implements Tag {
    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String getEndTagName() {
      return "endgeneration";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder sb = new StringBuilder();
      for (Node child : tagNode.getChildren()) {
        sb.append(child.render(interpreter).getValue());
      }
      return sb.toString();
    }
  }

  /** Jinja2's {@code items} filter: a mapping's (key, value) pairs; undefined gives none; else TypeError. */
  static final class ItemsFilter implements Filter {
    @Override
    public String getName() {
      return "items";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var == null) {
        return List.of();
      }
      if (!(var instanceof Map<?, ?> map)) {
        throw new RaisedException("TypeError: Can only get item pairs from a mapping.");
      }
      List<List<Object>> pairs = new ArrayList<>(map.size());
      for (Map.Entry<?, ?> e : map.entrySet()) {
        List<Object> pair = new ArrayList<>(2);
        pair.add(e.getKey());
        pair.add(e.getValue());
        pairs.add(pair);
      }
      return pairs;
    }
  }

  /** Python's notion of iterable for {@code is iterable}: strings too (jinjava says no). */
  static final class IterableTest implements ExpTest {
    @Override
    public String getName() {
      return "iterable";
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return var instanceof CharSequence || var instanceof SafeString || var instanceof Collection
          || var instanceof Map || var instanceof Iterable || (var != null && var.getClass().isArray());
    }
  }

  /**
   * {@code a4j_loop_if('vars', 'cond in base64')}: the loop filter of {@code for vars in seq if cond}
   * ({@link ForLoopRewriter}); keeps the items of the sequence for which {@code cond} is true with the
   * loop variables bound to the item (unpacked for {@code k, v}).
   */
  static final class LoopIfFilter implements Filter {
    @Override
    public String getName() {
      return "a4j_loop_if";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      List<String> names = List.of(args[0].split(","));
      String cond = NotPrecedence.rewrite(TemplateRewriter.rewriteExpr(
          new String(Base64.getDecoder().decode(args[1]), StandardCharsets.UTF_8)));
      List<Object> kept = new ArrayList<>();
      ForLoop items = ObjectIterator.getLoop(var);
      while (items.hasNext()) {
        Object item = items.next();
        try (InterpreterScopeClosable scope = interpreter.enterScope()) {
          bind(interpreter, names, item);
          if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(cond, interpreter.getLineNumber()))) {
            kept.add(item);
          }
        }
      }
      return kept;
    }

    private static void bind(JinjavaInterpreter interpreter, List<String> names, Object item) {
      if (names.size() == 1) {
        interpreter.getContext().put(names.get(0), item);
        return;
      }
      List<?> parts = item instanceof Map.Entry<?, ?> e ? java.util.Arrays.asList(e.getKey(), e.getValue())
          : item instanceof List<?> l ? l : List.of();
      for (int k = 0; k < names.size(); k++) {
        interpreter.getContext().put(names.get(k), k < parts.size() ? parts.get(k) : null);
      }
    }
  }
}
