package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders the real Qwen3, Llama 3.1 and DeepSeek-V3 chat templates and compares byte for byte with
 * renderings made by Jinja2 configured as transformers configures it (src/test/resources/chat/make_goldens.py).
 */
class ChatTemplateGoldenTest {

  /** Same fixed date as make_goldens.py's FIXED_DATE. */
  static final Clock FIXED = Clock.fixed(LocalDateTime.of(2026, 1, 15, 10, 30, 0).toInstant(ZoneOffset.UTC),
      ZoneOffset.UTC);
  static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (String tok : List.of("qwen3", "llama3_1", "deepseek_v3")) {
      JsonNode doc = read("/chat/goldens/" + tok + ".json");
      for (JsonNode c : doc.get("cases")) {
        out.add(Arguments.of(tok, c.get("name").asText(), c));
      }
    }
    return out.stream();
  }

  static JsonNode read(String resource) throws IOException {
    try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return JSON.readTree(in);
    }
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void rendersLikeJinja2(String tok, String name, JsonNode c) throws IOException {
    ChatTemplate template = TestTokenizers.chatTemplate(tok).withClock(FIXED);
    List<ChatMessage> messages = new ArrayList<>();
    boolean plain = true;
    for (JsonNode m : c.get("messages")) {
      plain &= m.size() == 2 && m.path("content").isTextual();
      messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    if (c.has("extra")) {
      extra.putAll(JSON.convertValue(c.get("extra"), Map.class));
    }
    if (c.has("tools") && !c.get("tools").isNull()) {
      extra.put("tools", JSON.convertValue(c.get("tools"), List.class));
    }
    boolean genPrompt = c.get("add_generation_prompt").asBoolean();
    // Messages with tool_calls / null content go through the map-based entry point.
    String rendered = plain ? template.render(messages, genPrompt, extra)
        : template.renderMessages(JSON.convertValue(c.get("messages"), List.class), genPrompt, extra);
    assertThat(rendered).isEqualTo(c.get("expected").asText());
  }
}
