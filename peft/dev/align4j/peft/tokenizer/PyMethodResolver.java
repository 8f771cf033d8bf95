package dev.align4j.peft.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Resolves Python method calls on strings and dicts ({@code s.startswith('x')}, {@code s.strip('\n')},
 * {@code d.items()}, {@code d.get(k, default)}) before jinjava's bean resolver would map them to Java
 * methods (Java's {@code String.split} takes a regex; {@code strip} takes no argument). Everything
 * else is left unresolved so the next resolver in the chain handles it.
 */
final class PyMethodResolver extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(method instanceof String name)) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    if (base instanceof CharSequence cs && !(base instanceof StringBuilder) && PyStrings.supports(name)) {
      context.setPropertyResolved(true);
      try {
        return PyStrings.call(cs.toString(), name, args);
      } catch (RuntimeException e) {
        throw new ChatTemplateException("str." + name + " failed: " + e.getMessage(), e);
      }
    }
    if (base instanceof Map<?, ?> map) {
      switch (name) {
        case "items" -> {
          context.setPropertyResolved(true);
          List<List<Object>> fixed = new ArrayList<>();
          for (Map.Entry<?, ?> e : map.entrySet()) {
            List<Object> pair = new ArrayList<>(2);
            pair.add(e.getKey());
            pair.add(e.getValue());
            fixed.add(pair);
          }
          return fixed;
        }
        case "keys" -> {
          context.setPropertyResolved(true);
          return new ArrayList<>(map.keySet());
        }
        case "values" -> {
          context.setPropertyResolved(true);
          return new ArrayList<>(map.values());
        }
        case "get" -> {
          context.setPropertyResolved(true);
          Object v = map.get(args.length > 0 ? args[0] : null);
          return v != null ? v : (args.length > 1 ? args[1] : null);
        }
        default -> {
          return null;
        }
      }
    }
    return null;
  }

  /**
   * Python string indexing ({@code s[0]}, {@code s[-1]}); jinjava yields nothing for it. jinjava passes
   * integer subscripts of non-array bases as strings, hence the parsing.
   */
  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    if (!(base instanceof CharSequence cs) || base instanceof StringBuilder) {
      return null;
    }
    long index;
    if (property instanceof Number n) {
      index = n.longValue();
    } else if (property instanceof String p && p.matches("-?\\d{1,9}")) {
      index = Long.parseLong(p);
    } else {
      return null;
    }
    int[] cps = cs.toString().codePoints().toArray();
    long i = index < 0 ? index + cps.length : index;
    if (i < 0 || i >= cps.length) {
      throw new ChatTemplateException("IndexError: string index " + index + " out of range");
    }
    context.setPropertyResolved(true);
    return new String(cps, (int) i, 1);
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {
    // read-only: leave to the next resolver
  }

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return false;
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
