package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the three real tokenizers. Expected ids come from tokenizer.json itself (added_tokens and
 * model.vocab entries: "Hello" and "Ġworld"), read independently of the code under test.
 */
class TokenizerTest {

  static Tokenizer qwen;
  static Tokenizer llama;
  static Tokenizer deepseek;

  @BeforeAll
  static void load() throws IOException {
    qwen = TestTokenizers.shared("qwen3");
    llama = TestTokenizers.shared("llama3_1");
    deepseek = TestTokenizers.shared("deepseek_v3");
  }

  @Test
  void specialTokenIds() {
    assertThat(qwen.vocabSize()).isEqualTo(151669);
    assertThat(qwen.bosId()).isEmpty();
    assertThat(qwen.eosIds()).containsExactly(151645L);
    assertThat(qwen.padId()).hasValue(151643L);
    assertThat(qwen.tokenId("<think>")).hasValue(151667L);
    assertThat(qwen.addBosToken()).isFalse();

    assertThat(llama.vocabSize()).isEqualTo(128256);
    assertThat(llama.bosId()).hasValue(128000L);
    assertThat(llama.eosIds()).containsExactly(128009L);
    assertThat(llama.padId()).isEmpty();

    assertThat(deepseek.vocabSize()).isEqualTo(128815);
    assertThat(deepseek.bosId()).hasValue(0L);
    assertThat(deepseek.eosIds()).containsExactly(1L);
    assertThat(deepseek.padId()).hasValue(1L);
    assertThat(deepseek.tokenId("<｜Assistant｜>")).hasValue(128804L);
    assertThat(deepseek.tokenId("no such token")).isEmpty();
    assertThat(deepseek.specialTokens()).containsEntry("bos_token", "<｜begin▁of▁sentence｜>");
  }

  @Test
  void encodeAddsSpecialTokensOnlyWhenAsked() {
    assertThat(qwen.encode("Hello world", false)).containsExactly(9707, 1879);
    assertThat(qwen.encode("Hello world", true)).containsExactly(9707, 1879);
    assertThat(llama.encode("Hello world", false)).containsExactly(9906, 1917);
    // Llama 3's post-processor prepends <|begin_of_text|>.
    assertThat(llama.encode("Hello world", true)).containsExactly(128000, 9906, 1917);
    assertThat(deepseek.encode("Hello world", false)).containsExactly(19923, 2058);
    // DeepSeek's post-processor adds nothing; add_bos_token=true in tokenizer_config does.
    assertThat(deepseek.encode("Hello world", true)).containsExactly(0, 19923, 2058);
  }

  @Test
  void specialTokensInTextAreSingleTokensAndDecodeRoundTrips() {
    String text = "<|im_start|>user\n你好，世界 😀<|im_end|>\n";
    long[] ids = qwen.encode(text, false);
    assertThat(ids[0]).isEqualTo(151644L);
    assertThat(ids).contains(151645L);
    assertThat(qwen.decode(ids, false)).isEqualTo(text);
    assertThat(qwen.decode(ids, true)).isEqualTo("user\n你好，世界 😀\n");
    for (Tokenizer t : List.of(llama, deepseek)) {
      String s = "Ünïcödé — 北京 \"q\" \n\n end";
      assertThat(t.decode(t.encode(s, false), false)).isEqualTo(s);
    }
  }

  @Test
  void chatTemplatesAreLoaded() {
    assertThat(qwen.chatTemplate()).isPresent();
    String rendered = llama.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("Hi")), true);
    assertThat(rendered).isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void configVariantsFromFiles(@TempDir Path dir) throws IOException {
    Files.copy(TestTokenizers.dir("qwen3").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"eos_token": {"content": "<|im_end|>", "lstrip": false},
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ eos_token }}"}]}
                """);
    Files.writeString(dir.resolve("generation_config.json"), """
                {"bos_token_id": 151643, "eos_token_id": [151643, 151645], "pad_token_id": 151643}
                """);
    try (Tokenizer t = Tokenizer.load(dir)) {
      assertThat(t.eosIds()).containsExactly(151643L, 151645L);
      assertThat(t.bosId()).hasValue(151643L);
      assertThat(t.padId()).hasValue(151643L);
      assertThat(t.chatTemplate().orElseThrow().render(List.of(), false)).isEqualTo("D<|im_end|>");
    }
    Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(IOException.class)
        .hasMessageContaining("generation_config.json").hasMessageContaining("eos_token_id");
    Files.writeString(dir.resolve("generation_config.json"), "{");
    assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining("generation_config.json");
    Files.delete(dir.resolve("generation_config.json"));
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<nope>\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining("tokenizer_config.json")
        .hasMessageContaining("bos_token");
    Files.delete(dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining("tokenizer.json");
  }
}
