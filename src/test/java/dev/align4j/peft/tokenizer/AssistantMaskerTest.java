package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Assistant masks on the three real templates. Expectations are hand-derived from the rule in
 * {@link AssistantMasker}: each contiguous masked run decodes to the assistant text as the full
 * rendering shows it, followed by the template's end-of-turn token.
 */
class AssistantMaskerTest {

  static final List<ChatMessage> MULTI_TURN = List.of(
      ChatMessage.system("Be brief."),
      ChatMessage.user("Capital of France?"),
      ChatMessage.assistant("Paris."),
      ChatMessage.user("And of Italy?"),
      ChatMessage.assistant("Rome."));

  /** Decodes each maximal run of masked tokens. */
  static List<String> maskedRuns(Tokenizer tok, TokenizedChat chat) {
    List<String> runs = new ArrayList<>();
    int t = 0;
    while (t < chat.length()) {
      if (!chat.assistantMask()[t]) {
        t++;
        continue;
      }
      int s = t;
      while (t < chat.length() && chat.assistantMask()[t]) {
        t++;
      }
      runs.add(tok.decode(Arrays.copyOfRange(chat.ids(), s, t), false));
    }
    return runs;
  }

  static TokenizedChat check(Tokenizer tok, List<ChatMessage> messages, Map<String, ?> extra) {
    TokenizedChat chat = AssistantMasker.of(tok).tokenize(messages, extra);
    String full = tok.chatTemplate().orElseThrow().render(messages, false, extra);
    // No special tokens added on top of the template: ids decode back to exactly the rendering.
    assertThat(tok.decode(chat.ids(), false)).isEqualTo(full);
    return chat;
  }

  @Test
  void qwen3MultiTurn() {
    Tokenizer tok = TestTokenizers.shared("qwen3");
    TokenizedChat chat = check(tok, MULTI_TURN, Map.of());
    // The last turn follows the last user message, so Qwen3 renders an (empty) think block there;
    // the model generates it, so it is masked. "\n" after <|im_end|> is not.
    assertThat(maskedRuns(tok, chat)).containsExactly(
        "Paris.<|im_end|>", "<think>\n\n</think>\n\nRome.<|im_end|>");
    assertThat(chat.ids()[chat.length() - 1]).isEqualTo(198L); // trailing "\n", unmasked
    assertThat(chat.assistantMask()[chat.length() - 1]).isFalse();
  }

  @Test
  void qwen3StripsReasoningFromEarlierTurnsAndMasksWhatIsRendered() {
    Tokenizer tok = TestTokenizers.shared("qwen3");
    List<ChatMessage> messages = List.of(
        ChatMessage.user("What is 3*7?"),
        ChatMessage.assistant("<think>\n3 times 7 is 21.\n</think>\n\n21"),
        ChatMessage.user("And 4*5?"),
        ChatMessage.assistant("<think>\nFour fives are twenty.\n</think>\n\n20"));
    TokenizedChat chat = check(tok, messages, Map.of());
    assertThat(maskedRuns(tok, chat)).containsExactly(
        "21<|im_end|>", "<think>\nFour fives are twenty.\n</think>\n\n20<|im_end|>");
  }

  @Test
  void qwen3WithThinkingDisabledLeavesTheEmptyThinkBlockInThePrompt() {
    Tokenizer tok = TestTokenizers.shared("qwen3");
    // With enable_thinking=false the generation prompt already ends with "<think>\n\n</think>\n\n",
    // so the model writes only the answer.
    TokenizedChat chat = check(tok, MULTI_TURN, Map.of("enable_thinking", false));
    assertThat(maskedRuns(tok, chat)).containsExactly("Paris.<|im_end|>", "Rome.<|im_end|>");
  }

  @Test
  void qwen3TokenMergedAcrossTheHeaderBoundaryIsNotMasked() {
    Tokenizer tok = TestTokenizers.shared("qwen3");
    // "assistant\n" + "\nHello": the two newlines become one token that starts in the header.
    List<ChatMessage> messages = List.of(ChatMessage.user("Hi"), ChatMessage.assistant("\nHello"),
        ChatMessage.user("Bye"));
    TokenizedChat chat = check(tok, messages, Map.of());
    assertThat(maskedRuns(tok, chat)).containsExactly("Hello<|im_end|>");
  }

  @Test
  void llama3MultiTurn() {
    Tokenizer tok = TestTokenizers.shared("llama3_1");
    TokenizedChat chat = check(tok, MULTI_TURN, Map.of());
    assertThat(maskedRuns(tok, chat)).containsExactly("Paris.<|eot_id|>", "Rome.<|eot_id|>");
    assertThat(chat.ids()[0]).isEqualTo(128000L); // one BOS, from the template
    assertThat(chat.ids()[1]).isNotEqualTo(128000L);
    assertThat(chat.ids()[chat.length() - 1]).isEqualTo(128009L);
    assertThat(chat.assistantMask()[chat.length() - 1]).isTrue();
  }

  @Test
  void deepseekMultiTurnWithChinese() {
    Tokenizer tok = TestTokenizers.shared("deepseek_v3");
    List<ChatMessage> messages = List.of(
        ChatMessage.user("你好，请介绍一下北京。"),
        ChatMessage.assistant("北京是中国的首都。😀"),
        ChatMessage.user("谢谢！"),
        ChatMessage.assistant("不客气 — «ça va»."));
    TokenizedChat chat = check(tok, messages, Map.of());
    assertThat(maskedRuns(tok, chat)).containsExactly(
        "北京是中国的首都。😀<｜end▁of▁sentence｜>", "不客气 — «ça va».<｜end▁of▁sentence｜>");
    assertThat(chat.ids()[0]).isEqualTo(0L);
    // The <｜Assistant｜> header tokens are never masked.
    long header = tok.tokenId("<｜Assistant｜>").orElseThrow();
    for (int t = 0; t < chat.length(); t++) {
      if (chat.ids()[t] == header) {
        assertThat(chat.assistantMask()[t]).isFalse();
      }
    }
    TokenizedChat multi = check(tok, MULTI_TURN, Map.of());
    assertThat(maskedRuns(tok, multi)).containsExactly(
        "Paris.<｜end▁of▁sentence｜>", "Rome.<｜end▁of▁sentence｜>");
  }

  @Test
  void noAssistantTurnMeansEmptyMask() {
    Tokenizer tok = TestTokenizers.shared("llama3_1");
    TokenizedChat chat = check(tok, List.of(ChatMessage.user("Hi")), Map.of());
    assertThat(chat.assistantTokenCount()).isZero();
    assertThat(chat.length()).isGreaterThan(3);
  }

  @Test
  void nonFinalTurnEndsAtTheTokenTheTemplateUsesInPlaceOfTheStopToken() {
    // GPT-OSS's shape: the last assistant turn ends with a stop token (<|return|>), earlier ones with a
    // token that is no stop token (<|end|>). Here <|im_end|> (a Qwen3 stop token) and <|box_end|> (not).
    Tokenizer tok = TestTokenizers.shared("qwen3");
    ChatTemplate template = ChatTemplate.of(
        "{%- for m in messages -%}<|im_start|>{{ m.role }}\n{{ m.content }}"
            + "{%- if m.role == 'assistant' and loop.last -%}<|im_end|>{%- else -%}<|box_end|>{%- endif -%}"
            + "{%- endfor -%}{%- if add_generation_prompt -%}<|im_start|>assistant\n{% endif -%}",
        Map.of());
    TokenizedChat chat = new AssistantMasker(tok, template).tokenize(MULTI_TURN, Map.of());
    // Before: the first turn ran on to the only stop token, through the user's second question.
    assertThat(maskedRuns(tok, chat)).containsExactly("Paris.<|box_end|>", "Rome.<|im_end|>");
  }

  @Test
  void turnWhoseRenderingDivergesFromThePromptInsideATokenStartsAtThatToken() {
    // DeepSeek-R1-Distill's shape: the prompt is "<｜Assistant｜><think>\n", tool calls are dropped, so a
    // tool-call turn renders "<｜Assistant｜><｜end▁of▁sentence｜>"; the two share the character "<".
    Tokenizer tok = TestTokenizers.shared("deepseek_v3");
    ChatTemplate template = ChatTemplate.of(
        "{{ bos_token }}{%- for m in messages -%}{%- if m.role == 'user' -%}<｜User｜>{{ m.content }}"
            + "{%- elif m.role == 'assistant' -%}<｜Assistant｜>{{ m.content }}<｜end▁of▁sentence｜>"
            + "{%- else -%}<｜tool▁outputs▁begin｜>{{ m.content }}<｜tool▁outputs▁end｜>{%- endif -%}"
            + "{%- endfor -%}{%- if add_generation_prompt -%}<｜Assistant｜><think>\n{%- endif -%}",
        Map.of("bos_token", "<｜begin▁of▁sentence｜>"));
    List<Map<String, ?>> messages = List.of(
        Map.of("role", "user", "content", "Weather in Paris?"),
        Map.of("role", "assistant", "content", ""),
        Map.of("role", "tool", "content", "{\"temp_c\": 21}"),
        Map.of("role", "assistant", "content", "It is 21°C in Paris."));
    TokenizedChat chat = new AssistantMasker(tok, template).tokenizeMessages(messages, Map.of());
    // Before: the first turn started inside <｜end▁of▁sentence｜> and ran on through the tool output.
    assertThat(maskedRuns(tok, chat)).containsExactly(
        "<｜end▁of▁sentence｜>", "It is 21°C in Paris.<｜end▁of▁sentence｜>");
  }

  @Test
  void turnNeverRunsPastTheRenderingOfTheConversationThroughIt() {
    // GPT-OSS's tool-call turns end with <|call|>, no stop token; here <|box_end|> (a Qwen3 non-stop token).
    Tokenizer tok = TestTokenizers.shared("qwen3");
    ChatTemplate template = ChatTemplate.of(
        "{%- for m in messages -%}<|im_start|>{{ m.role }}\n{{ m.content }}"
            + "{%- if m.tool_calls is defined -%}<|box_end|>{%- else -%}<|im_end|>{%- endif -%}"
            + "{%- endfor -%}{%- if add_generation_prompt -%}<|im_start|>assistant\n{% endif -%}",
        Map.of());
    List<Map<String, ?>> messages = List.of(
        Map.of("role", "user", "content", "Weather in Paris?"),
        Map.of("role", "assistant", "content", "get_weather(Paris)", "tool_calls", List.of()),
        Map.of("role", "tool", "content", "21"),
        Map.of("role", "assistant", "content", "It is 21°C in Paris."));
    TokenizedChat chat = new AssistantMasker(tok, template).tokenizeMessages(messages, Map.of());
    // Before: the tool-call turn ran on to the tool message's <|im_end|>.
    assertThat(maskedRuns(tok, chat)).containsExactly(
        "get_weather(Paris)<|box_end|>", "It is 21°C in Paris.<|im_end|>");
  }
}
