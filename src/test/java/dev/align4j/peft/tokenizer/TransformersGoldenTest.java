package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token ids and chat-template renderings against goldens made by the real transformers
 * (src/test/resources/chat/make_transformers_goldens.py, transformers 5.17): the committed npm tokenizers
 * over a multilingual corpus, and a sample of trl's chat templates (covering every Jinja feature align4j
 * emulates) over system, multi-turn, tool-calling, reasoning and generation-prompt conversations, including
 * those the templates reject (transformers raised, so must align4j). The interop harness checks all
 * templates with the venv; this keeps a sample in the unit suite.
 */
class TransformersGoldenTest {

  private static JsonNode doc;

  static synchronized JsonNode doc() throws IOException {
    if (doc == null) {
      doc = ChatTemplateGoldenTest.read("/chat/goldens/transformers.json");
    }
    return doc;
  }

  static Stream<Arguments> idCases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode e : doc().get("ids")) {
      String name = Path.of(e.get("tokenizer").asText()).getFileName().toString();
      out.add(Arguments.of(name, e.get("add_special_tokens").asBoolean(), e.get("ids")));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} add_special_tokens={1}")
  @MethodSource("idCases")
  void idsEqualAutoTokenizer(String name, boolean special, JsonNode expected) throws IOException {
    Tokenizer tok = TestTokenizers.shared(name);
    JsonNode corpus = doc().get("corpus");
    for (int i = 0; i < corpus.size(); i++) {
      long[] want = ChatTemplateGoldenTest.JSON.convertValue(expected.get(i), long[].class);
      assertThat(tok.encode(corpus.get(i).asText(), special)).as("%s: %s", name, corpus.get(i).asText())
          .containsExactly(want);
    }
  }

  static Stream<Arguments> renderCases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode t : doc().get("renders")) {
      for (JsonNode c : t.get("cases")) {
        out.add(Arguments.of(t.get("template").asText(), c.get("name").asText(), t, c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("renderCases")
  void rendersLikeApplyChatTemplate(String template, String conversation, JsonNode t, JsonNode c) {
    Map<String, String> tokens = ChatTemplateGoldenTest.JSON.convertValue(t.get("special_tokens"),
        new TypeReference<LinkedHashMap<String, String>>() { });
    ChatTemplate chat = ChatTemplate.of(t.get("source").asText(), tokens, ChatTemplateGoldenTest.FIXED);
    List<Map<String, Object>> messages = ChatTemplateGoldenTest.JSON.convertValue(c.get("messages"),
        new TypeReference<List<Map<String, Object>>>() { });
    Map<String, Object> vars = new HashMap<>();
    vars.put("tools", ChatTemplateGoldenTest.JSON.convertValue(c.get("tools"), Object.class));
    vars.put("documents", null);
    vars.putAll(ChatTemplateGoldenTest.JSON.convertValue(c.get("kwargs"),
        new TypeReference<Map<String, Object>>() { }));
    boolean gen = c.get("add_generation_prompt").asBoolean();
    if (c.has("error")) {
      assertThatThrownBy(() -> chat.renderMessages(messages, gen, vars))
          .as("transformers raised %s", c.get("error").asText())
          .isInstanceOf(ChatTemplateException.class);
    } else {
      assertThat(chat.renderMessages(messages, gen, vars)).isEqualTo(c.get("text").asText());
    }
  }
}
