package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One small template per emulated Jinja2 feature (Python str methods, [::-1], namespace, tojson,
 * generation, strftime_now, loop controls, precedence, whitespace control), compared with Jinja2's
 * output in goldens/features.json.
 */
class ChatTemplateFeaturesTest {

  static JsonNode doc() throws IOException {
    return ChatTemplateGoldenTest.read("/chat/goldens/features.json");
  }

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode c : doc().get("cases")) {
      out.add(Arguments.of(c.get("name").asText(), c.get("template").asText(), c.get("expected").asText()));
    }
    return out.stream();
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesJinja2(String name, String template, String expected) throws IOException {
    JsonNode doc = doc();
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : doc.get("messages")) {
      messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    Map<String, Object> data = ChatTemplateGoldenTest.JSON.convertValue(doc.get("data"), LinkedHashMap.class);
    String rendered = ChatTemplate.of(template, Map.of(), ChatTemplateGoldenTest.FIXED)
        .render(messages, false, Map.of("data", data,
            "floats", ChatTemplateGoldenTest.JSON.convertValue(doc.get("floats"), List.class)));
    if (KNOWN_GAPS.contains(name)) {
      // Documented difference; fails once fixed so the list gets updated.
      assertThat(rendered).isNotEqualTo(expected);
    } else {
      assertThat(rendered).isEqualTo(expected);
    }
  }

  /**
   * Known differences from Jinja2: printing a boolean or None gives jinjava's "true"/"" rather than
   * Python's "True"/"None"; a variable bound to
   * None ({@code tools}) is not "defined" in jinjava (it is in Jinja2). Real chat templates compare
   * such values rather than print them, and test {@code tools is defined} together with
   * {@code is not none}.
   */
  static final java.util.Set<String> KNOWN_GAPS = java.util.Set.of("bool_output", "none_tools");

  @Test
  void notBindsLooserThanComparisons() {
    assertThat(NotPrecedence.rewrite(" if not a == b and not c.d(x == y) or not e in f and x is not none %"))
        .isEqualTo(" if not (a == b) and not c.d(x == y) or not (e in f) and x is not none %");
    assertThat(NotPrecedence.rewrite(" if not x is defined and a not in b ")).isEqualTo(
        " if not x is defined and a not in b ");
  }

  @Test
  void raiseExceptionAbortsWithItsMessage() {
    ChatTemplate t = ChatTemplate.of(
        "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}"
            + "{% endif %}ok", Map.of());
    assertThat(t.render(List.of(ChatMessage.user("hi")), false)).isEqualTo("ok");
    assertThatThrownBy(() -> t.render(List.of(ChatMessage.assistant("hi")), false))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("Conversation must start with user");
  }

  @Test
  void syntaxErrorIsReported() {
    ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }}", Map.of());
    assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi")), false))
        .isInstanceOf(ChatTemplateException.class);
  }

  @Test
  void specialTokensAreVariablesAndUndefinedTokensRenderEmpty() {
    ChatTemplate t = ChatTemplate.of("{{ bos_token }}|{{ eos_token }}|{{ unk_token }}",
        Map.of("bos_token", "<s>", "eos_token", "</s>"));
    assertThat(t.render(List.of(), false)).isEqualTo("<s>|</s>|");
  }

  @Test
  void rewriterLeavesStringLiteralsAndTextAlone() {
    String src = "x[::-1] {{ 'a[::-1]' ~ m[::-1]|length }} {% set ns = namespace(a=b|length - 1, c='=,') %}";
    assertThat(TemplateRewriter.rewrite(src)).isEqualTo(
        "x[::-1] {{ 'a[::-1]' ~ m|reverse|list|length }} {% set ns = namespace(a=(b|length - 1), c=('=,')) %}");
  }
}
