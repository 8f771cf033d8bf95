package dev.align4j.peft.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;

/**
 * A Hugging Face {@code chat_template} (Jinja source) rendered the way transformers'
 * {@code apply_chat_template} renders it: Jinja2 with {@code trim_blocks} and {@code lstrip_blocks},
 * Python-style {@code tojson}, {@code raise_exception}, {@code strftime_now}, the tokenizer's special
 * tokens ({@code bos_token}, {@code eos_token}, ...) as variables, {@code tools=None},
 * {@code documents=None} and {@code add_generation_prompt}.
 *
 * <p>Rendering uses jinjava with shims for what it lacks (Python str/dict methods, {@code [::-1]},
 * {@code namespace(k=expr)}, the {@code generation} tag, Python's {@code +} that raises on mixed types,
 * the {@code items} filter, strings as iterables, recursive macros, {@code for x in seq if cond},
 * {@code loop.previtem}/{@code nextitem}, Jinja2's newline normalisation and line-start-only
 * {@code lstrip_blocks}); see {@link TemplateRewriter}, {@link ForLoopRewriter}, {@link PyExpressions}.
 * Verified byte for byte against transformers 5.17's {@code apply_chat_template} on the npm tokenizers'
 * templates and all 63 of trl 1.13's {@code chat_templates} (interop/checks/check_chat_template.py).
 * Instances are immutable and thread-safe.
 */
public final class ChatTemplate {

  private static final Jinjava JINJAVA = newEngine();

  private final String source;
  private final String compiledSource;
  private final Map<String, String> specialTokens;
  private final Clock clock;

  private ChatTemplate(String source, Map<String, String> specialTokens, Clock clock) {
    this.source = Objects.requireNonNull(source, "source");
    this.specialTokens = Map.copyOf(specialTokens);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.compiledSource = TemplateRewriter.rewrite(source);
  }

  /**
   * A template from its Jinja source.
   *
   * @param source the {@code chat_template} text
   * @param specialTokens template variables such as {@code bos_token -> "<s>"}; absent tokens stay
   *     undefined, as in transformers
   */
  public static ChatTemplate of(String source, Map<String, String> specialTokens) {
    return new ChatTemplate(source, specialTokens, Clock.systemDefaultZone());
  }

  /** As {@link #of(String, Map)}, with the clock {@code strftime_now} reads (for reproducible output). */
  public static ChatTemplate of(String source, Map<String, String> specialTokens, Clock clock) {
    return new ChatTemplate(source, specialTokens, clock);
  }

  /** The same template reading {@code strftime_now} from {@code clock}. */
  public ChatTemplate withClock(Clock clock) {
    return new ChatTemplate(source, specialTokens, clock);
  }

  /** The Jinja source as given. */
  public String source() {
    return source;
  }

  /** The special-token variables passed to the template. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /** Renders {@code messages}; see {@link #render(List, boolean, Map)}. */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /**
   * Renders {@code messages} to the prompt text.
   *
   * @param addGenerationPrompt append the header that opens the assistant's next turn
   * @param extraVariables more template variables ({@code tools}, {@code enable_thinking}, ...); they
   *     override the defaults
   * @throws ChatTemplateException when the template calls {@code raise_exception} or fails to render
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
    return renderMessages(asMaps(messages), addGenerationPrompt, extraVariables);
  }

  /** {@code messages} as the {@code {"role": ..., "content": ...}} maps a template sees. */
  static List<Map<String, Object>> asMaps(List<ChatMessage> messages) {
    List<Map<String, Object>> maps = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", m.role());
      map.put("content", m.content());
      maps.add(map);
    }
    return maps;
  }

  /**
   * Renders messages given as maps (for fields beyond role/content, e.g. {@code tool_calls} or
   * {@code reasoning_content}).
   */
  public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
      Map<String, ?> extraVariables) {
    Map<String, Object> vars = new HashMap<>(specialTokens);
    vars.put("messages", messages);
    vars.put("add_generation_prompt", addGenerationPrompt);
    vars.putAll(extraVariables);
    vars.put(TemplateShims.NOW_KEY, LocalDateTime.now(clock));
    // Jinja2 globals are variables too: templates test `strftime_now is defined` (Llama 3.x).
    vars.putIfAbsent("strftime_now", TemplateShims.FunctionMarker.STRFTIME_NOW);
    vars.putIfAbsent("raise_exception", TemplateShims.FunctionMarker.RAISE_EXCEPTION);
    RenderResult result;
    try {
      result = JINJAVA.renderForResult(compiledSource, vars);
    } catch (RuntimeException e) {
      throw new ChatTemplateException("chat template failed to render: " + e.getMessage(), e);
    }
    for (TemplateError error : result.getErrors()) {
      String raised = raisedMessage(error.getException());
      if (raised != null) {
        throw new ChatTemplateException("chat template raised an exception: " + raised);
      }
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new ChatTemplateException("chat template error at line " + error.getLineno() + ": "
            + error.getMessage());
      }
    }
    return result.getOutput();
  }

  private static String raisedMessage(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof TemplateShims.RaisedException r) {
        return r.getMessage();
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  private static Jinjava newEngine() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyMethodResolver());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(false) // jinjava's strips mid-line too; TemplateRewriter does Jinja2's
        .withEnableRecursiveMacroCalls(true) // Gemma 4 formats tool schemas recursively
        .withMaxMacroRecursionDepth(100)
        .withElResolver(resolver)
        .withNestedInterpretationEnabled(false) // content containing "{{" must stay literal
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withParseWhitespaceControlStrictly(true)
            .withUseTrimmingForNotesAndExpressions(true)
            .withKeepNullableLoopValues(true)
            .withIterateOverMapKeys(true) // Python iterates a dict's keys
            .withUsePyishObjectMapper(true) // print True/None/dicts as Python does
            .build())
        .build();
    Jinjava jinjava = PyExpressions.engine(config);
    jinjava.registerFilter(new TemplateShims.ToJsonFilter());
    jinjava.registerFilter(new TemplateShims.ItemsFilter());
    jinjava.registerFilter(new TemplateShims.LoopIfFilter());
    jinjava.registerExpTest(new TemplateShims.IterableTest());
    jinjava.registerTag(new TemplateShims.GenerationTag());
    try {
      // The shim class is package-private; open its methods so jinjava's reflection may call them.
      Method raise = TemplateShims.class.getMethod("raiseException", Object.class);
      Method now = TemplateShims.class.getMethod("strftimeNow", String.class);
      raise.setAccessible(true);
      now.setAccessible(true);
      jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", raise));
      jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", now));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
    return jinjava;
  }

}
