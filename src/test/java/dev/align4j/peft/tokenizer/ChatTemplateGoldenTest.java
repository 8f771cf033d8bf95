package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renderings byte-identical to Jinja2's (goldens made by src/test/resources/chat/make_goldens.py with
 * Debian's python3-jinja2, configured as transformers configures it).
 */
class ChatTemplateGoldenTest {
  static Path tokenizerDir(String name) {
    return name.equals("qwen3") ? Path.of("recipes/assets/tokenizers/qwen3") : Path.of("src/test/resources/tokenizers", name);
  }

  static List<ChatMessage> messages(JsonNode conv) {
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : conv.get("messages")) {
      out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1", "deepseek_v3"})
  void rendersExactlyAsJinja2(String name) throws IOException {
    JsonNode goldens = new ObjectMapper().readTree(Path.of("src/test/resources/chat/goldens", name + ".json").toFile());
    try (Tokenizer tok = Tokenizer.load(tokenizerDir(name))) {
      ChatTemplate t = tok.chatTemplate().orElseThrow();
      for (JsonNode conv : goldens) {
        String got = t.render(messages(conv), conv.get("add_generation_prompt").asBoolean());
        assertThat(got).as("%s / %s", name, conv.get("name").asText()).isEqualTo(conv.get("rendered").asText());
      }
    }
  }
}
