package dev.align4j.peft.data.preference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.tokenizer.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ImplicitPrompt against trl.data_utils.extract_prompt's own outputs (make_goldens.py). */
class ImplicitPromptTest {
  static final Path DIR = Path.of("src/test/resources/preference");

  static Segment segment(JsonNode n) {
    if (n.isTextual()) {
      return new Segment.Text(n.textValue());
    }
    List<ChatMessage> m = new ArrayList<>();
    n.forEach(x -> m.add(new ChatMessage(x.get("role").asText(), x.get("content").asText())));
    return new Segment.Chat(m);
  }

  @Test
  void equalsTrlExtractPromptOnEveryCase() throws Exception {
    JsonNode cases = new ObjectMapper().readTree(DIR.resolve("extract_prompt.json").toFile());
    assertThat(cases.size()).isGreaterThanOrEqualTo(12);
    for (JsonNode c : cases) {
      ImplicitPrompt.Split s = ImplicitPrompt.extract(segment(c.get("chosen")), segment(c.get("rejected")));
      JsonNode e = c.get("expected");
      assertThat(s).as(c.toString()).isEqualTo(new ImplicitPrompt.Split(segment(e.get("prompt")),
          segment(e.get("chosen")), segment(e.get("rejected"))));
    }
  }

  @Test
  void documentedDifferenceWhenTheFirstCharacterDiffersAndChosenEndsWithASpace() {
    // TRL reads chosen[-1] there and takes "ab" as the prompt ("ab " minus its last character)
    ImplicitPrompt.Split s = ImplicitPrompt.extract(new Segment.Text("ab "), new Segment.Text("xy"));
    assertThat(s).isEqualTo(new ImplicitPrompt.Split(new Segment.Text(""), new Segment.Text("ab "), new Segment.Text("xy")));
    // empty sides: TRL raises; align4j gives an empty prompt (then reported as empty)
    assertThat(ImplicitPrompt.extract(new Segment.Text(""), new Segment.Text("x")).prompt()).isEqualTo(new Segment.Text(""));
  }
}
