package dev.align4j.peft.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.model.ModelFamily;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerSpecialTokensTest {
  @TempDir Path tmp;

  @Test
  void qwen3SpecialTokensAndRoundTrip() throws IOException {
    try (Tokenizer t = Tokenizer.load(TestTokenizers.dir("qwen3"))) {
      assertThat(t.vocabSize()).isEqualTo(151669);
      assertThat(t.eosIds()).containsExactly(151645);                   // <|im_end|>
      assertThat(t.padId()).hasValue(151643);                           // <|endoftext|>
      assertThat(t.bosId()).isEmpty();
      assertThat(t.tokenId("<|im_start|>")).hasValue(151644);
      String text = "分析以下监控告警 — web-03, SSH ×327 😀";
      long[] ids = t.encode(text, false);
      assertThat(t.decode(ids, false)).isEqualTo(text);
      assertThat(t.encode(text, true)).containsExactly(ids);            // Qwen adds nothing
      String longText = "token ".repeat(3000);
      assertThat(t.encode(longText, false).length).isGreaterThan(2000); // no silent truncation at 512
    }
  }

  @Test
  void llamaAddsBeginOfTextOnlyWhenAsked() throws IOException {
    try (Tokenizer t = Tokenizer.load(TestTokenizers.dir("llama3_1"))) {
      assertThat(t.bosId()).hasValue(128000);
      assertThat(t.vocabSize()).isEqualTo(128256);
      long[] plain = t.encode("Hello", false);
      long[] withBos = t.encode("Hello", true);
      assertThat(withBos[0]).isEqualTo(128000);
      assertThat(withBos).hasSize(plain.length + 1);
      // the rendered template already holds BOS: encoding it without special tokens keeps one
      long[] rendered = t.encode("<|begin_of_text|>Hello", false);
      assertThat(rendered).containsExactly(withBos);
    }
  }

  @Test
  void generationConfigEosIdsAreMerged() throws IOException {
    Path dir = tmp.resolve("tok");
    Files.createDirectories(dir);
    Path src = TestTokenizers.dir("llama3_1");
    Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.copy(src.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
    Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009]}");
    try (Tokenizer t = Tokenizer.load(dir)) {
      assertThat(t.eosIds()).containsExactly(128001, 128008, 128009);
    }
  }

  @Test
  void deepseekReadsAddedTokenObjects() throws IOException {
    try (Tokenizer t = Tokenizer.load(TestTokenizers.dir("deepseek_v3"))) {
      assertThat(t.specialTokens()).containsEntry("bos_token", "<｜begin▁of▁sentence｜>");
      assertThat(t.bosId()).isEqualTo(t.tokenId("<｜begin▁of▁sentence｜>"));
      assertThat(t.eosIds()).containsExactly(t.tokenId("<｜end▁of▁sentence｜>").getAsLong());
    }
  }

  @Test
  void missingTokenizerAndSmallVocabAreNamed() {
    assertThatThrownBy(() -> Tokenizer.load(tmp)).hasMessageContaining("tokenizer.json");
    var config = dev.align4j.peft.model.ModelConfig.fromJson(
        new dev.align4j.peft.model.ModelConfig(ModelFamily.QWEN3, 1000, 16, 32, 1, 2, 1, 8, 1e-6, 1e6, null, 64,
            false, false, "float32").toJson(), "c");
    assertThatThrownBy(() -> config.requireVocabCovers(151669, "models/tiny"))
        .hasMessage("models/tiny: config vocab_size 1000 is smaller than the tokenizer's 151669 ids");
  }

  @Test
  void raiseExceptionAbortsRendering() {
    ChatTemplate t = ChatTemplate.of(
        "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('tool role unsupported') }}{% endif %}"
            + "{{ m.content }}{% endfor %}", java.util.Map.of());
    assertThat(t.render(java.util.List.of(new ChatMessage("user", "x")), false)).isEqualTo("x");
    assertThatThrownBy(() -> t.render(java.util.List.of(new ChatMessage("tool", "x")), false))
        .hasMessageContaining("tool role unsupported");
  }
}
