package dev.align4j.peft.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.objects.SafeString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ExpressionFactory;

/**
 * Jinja2's expression semantics where jinjava's differ and templates depend on it. Today: the binary
 * {@code +}. Python adds numbers, concatenates two strings or two lists and raises {@code TypeError} for
 * anything else ({@code "a" + dict}, {@code None + "a"}) or {@code UndefinedError} on an undefined operand;
 * jinjava's {@code +} stringifies mixed operands and merges dicts, so a template that raises in
 * transformers (DeepSeek-V3 with dict tool arguments, Llava-Next with string content) would render
 * garbage instead.
 */
final class PyExpressions {

  private PyExpressions() {
  }

  /** A jinjava engine whose expression parser builds {@link PyAddition} for {@code +}. */
  static Jinjava engine(JinjavaConfig config) {
    ExpressionFactory factory = new ExpressionFactoryImpl(
        new TreeStore(new PyBuilder(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS),
            new Cache(1000)),
        new TruthyTypeConverter());
    return new Jinjava(config) {
      @Override
      public ExpressionFactory getExpressionFactory() {
        return factory;
      }
    };
  }

  /** jinjava's syntax builder with {@link PyParser}; public for the EL library's reflection. */
  public static final class PyBuilder extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;

    /** With the given EL features. */
    public PyBuilder(Feature... features) {
      super(features);
    }

    @Override
    protected Parser createParser(String expression) {
      return new PyParser(this, expression);
    }
  }

  /** jinjava's parser, building {@link PyAddition} where it would build its own addition. */
  static final class PyParser extends ExtendedParser {
    PyParser(Builder context, String input) {
      super(context, input);
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
      return super.createAstBinary(left, right, operator == AdditionOperator.OP ? PyAddition.OP : operator);
    }
  }

  /** Python's {@code +}: numbers, str + str, list + list; anything else raises. */
  static final class PyAddition extends AstBinary.SimpleOperator {
    static final PyAddition OP = new PyAddition();

    @Override
    protected Object apply(TypeConverter converter, Object a, Object b) {
      if (isString(a) && isString(b)) {
        return a.toString() + b;
      }
      if (isNumber(a) && isNumber(b)) {
        return NumberOperations.add(converter, number(a), number(b));
      }
      if (a instanceof List<?> x && b instanceof List<?> y) {
        List<Object> out = new ArrayList<>(x.size() + y.size());
        out.addAll(x);
        out.addAll(y);
        return out;
      }
      throw new TemplateShims.RaisedException("TypeError: unsupported operand type(s) for +: '" + pyType(a)
          + "' and '" + pyType(b) + "'");
    }

    private static boolean isString(Object o) {
      return o instanceof CharSequence || o instanceof SafeString;
    }

    private static boolean isNumber(Object o) {
      return o instanceof Number || o instanceof Boolean;
    }

    private static Object number(Object o) {
      return o instanceof Boolean b ? Long.valueOf(b ? 1 : 0) : o;
    }

    static String pyType(Object o) {
      if (o == null) {
        return "NoneType (or undefined)";
      }
      if (isString(o)) {
        return "str";
      }
      if (o instanceof Boolean) {
        return "bool";
      }
      if (o instanceof Double || o instanceof Float) {
        return "float";
      }
      if (o instanceof Number) {
        return "int";
      }
      if (o instanceof Map) {
        return "dict";
      }
      if (o instanceof Collection || o.getClass().isArray()) {
        return "list";
      }
      return o.getClass().getSimpleName();
    }

    @Override
    public String toString() {
      return "+";
    }
  }
}
