package dev.align4j.peft.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template rendered as transformers' {@code apply_chat_template} does: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks}, the tokenizer's special tokens as variables, {@code
 * add_generation_prompt}, and {@code raise_exception} aborting the render.
 */
public final class ChatTemplate {
  private final String source;
  private final String compiled;
  private final Map<String, String> specialTokens;
  private final Jinjava jinja;

  /**
   * @param source the Jinja source ({@code chat_template} of tokenizer_config.json)
   * @param specialTokens {@code bos_token}, {@code eos_token}... made available to the template
   */
  public ChatTemplate(String source, Map<String, String> specialTokens) {
    this.source = source;
    this.compiled = TemplateRewriter.rewrite(source);
    this.specialTokens = Map.copyOf(specialTokens);
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withParseWhitespaceControlStrictly(true)
            .withUseTrimmingForNotesAndExpressions(true)
            .withKeepNullableLoopValues(true)
            .build())
        .withElResolver(resolver())
        .build();
    this.jinja = new Jinjava(config);
    jinja.getGlobalContext().registerFunction(new com.hubspot.jinjava.lib.fn.ELFunctionDefinition(
        "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
  }

  private static jinjava.javax.el.ELResolver resolver() {
    jinjava.javax.el.CompositeELResolver r = new jinjava.javax.el.CompositeELResolver();
    r.add(new PythonStringMethods());
    r.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    return r;
  }

  /** Called by templates: aborts rendering with the template's message. */
  public static String raiseException(String message) {
    RAISED.set(message);   // jinjava wraps exceptions from functions; keep the template's own words
    throw new TemplateException(message);
  }

  private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

  /** The Jinja source. */
  public String source() {
    return source;
  }

  /** Renders a conversation. */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /** Renders a conversation with extra template variables. */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
    Map<String, Object> ctx = new HashMap<>(specialTokens);
    List<Map<String, Object>> msgs = new ArrayList<>();
    for (ChatMessage m : messages) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("role", m.role());
      mm.put("content", m.content());
      msgs.add(mm);
    }
    ctx.put("messages", msgs);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    ctx.putAll(extra);
    RAISED.remove();
    RenderResult r = jinja.renderForResult(compiled, ctx);
    String raised = RAISED.get();
    if (raised != null) {
      RAISED.remove();
      throw new TemplateException("chat template refused the conversation: " + raised);
    }
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL || e.getException() instanceof TemplateException) {
        throw new TemplateException("chat template failed: " + e.getMessage());
      }
    }
    return r.getOutput();
  }

  /** A template that refused the conversation, or failed to render. */
  public static final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TemplateException(String message) {
      super(message);
    }
  }
}
