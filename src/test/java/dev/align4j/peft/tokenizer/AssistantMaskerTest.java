package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Masked tokens decode to exactly the assistant turns plus their end-of-turn tokens. */
class AssistantMaskerTest {
  private static final List<ChatMessage> CHAT = List.of(
      new ChatMessage("system", "你是安全分析助手。"),
      new ChatMessage("user", "告警：web-03 SSH 登录失败 327 次"),
      new ChatMessage("assistant", "事件类型：暴力破解；风险等级：高"),
      new ChatMessage("user", "And in English?"),
      new ChatMessage("assistant", "Brute force; risk high."));

  /** Contiguous runs of masked tokens, decoded. */
  private static List<String> maskedRuns(Tokenizer tok, TokenizedChat c) {
    List<String> runs = new ArrayList<>();
    List<Long> cur = new ArrayList<>();
    for (int i = 0; i <= c.ids().length; i++) {
      if (i < c.ids().length && c.assistantMask()[i]) {
        cur.add(c.ids()[i]);
      } else if (!cur.isEmpty()) {
        runs.add(tok.decode(cur.stream().mapToLong(Long::longValue).toArray(), false));
        cur.clear();
      }
    }
    return runs;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1", "deepseek_v3"})
  void masksExactlyTheAssistantTurns(String name) throws IOException {
    try (Tokenizer tok = Tokenizer.load(ChatTemplateGoldenTest.tokenizerDir(name))) {
      TokenizedChat c = AssistantMasker.tokenize(tok, tok.chatTemplate().orElseThrow(), CHAT);
      String eos = tok.specialTokens().get("eos_token");
      String lastPrefix = name.equals("qwen3") ? "<think>\n\n</think>\n\n" : "";   // Qwen3 opens the final turn with an empty think block
      assertThat(maskedRuns(tok, c)).containsExactly(
          "事件类型：暴力破解；风险等级：高" + eos,
          lastPrefix + "Brute force; risk high." + eos);
      assertThat(c.ids()).isEqualTo(tok.encode(c.text(), false));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3"})
  void nonPrefixStableTemplateIsReported(String name) throws IOException {
    try (Tokenizer tok = Tokenizer.load(ChatTemplateGoldenTest.tokenizerDir(name))) {
      ChatTemplate odd = new ChatTemplate(
          "{% for m in messages %}{{ m.role }}:{{ m.content }}|{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
              + "{{ messages|length }}", Map.of("eos_token", "<|im_end|>"));
      assertThatThrownBy(() -> AssistantMasker.tokenize(tok, odd, CHAT)).hasMessageContaining("not prefix-stable at message 2");
    }
  }
}
