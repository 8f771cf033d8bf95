package dev.align4j.sft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.tokenizer.AssistantMasker;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.TokenizedChat;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {
  @TempDir Path tmp;

  @Test
  void charactersRoundTripAndChatMasksWork() throws Exception {
    String text = "事件类型：暴力破解；风险等级：高\nweb-03 ×327";
    int vocab = CharTokenizer.write(tmp, List.of(text, "你好"));
    try (Tokenizer tok = Tokenizer.load(tmp)) {
      assertThat(tok.vocabSize()).isEqualTo(vocab);
      long[] ids = tok.encode(text, false);
      assertThat(ids).hasSize(text.codePointCount(0, text.length()));
      assertThat(tok.decode(ids, false)).isEqualTo(text);
      assertThat(tok.eosIds()).containsExactly(2);
      TokenizedChat c = new AssistantMasker(tok, tok.chatTemplate().orElseThrow()).tokenize(
          List.of(new ChatMessage("user", "你好"), new ChatMessage("assistant", "事件类型：高")));
      StringBuilder masked = new StringBuilder();
      for (int i = 0; i < c.ids().length; i++) {
        if (c.assistantMask()[i]) {
          masked.append(tok.decode(new long[] {c.ids()[i]}, false));
        }
      }
      assertThat(masked.toString()).isEqualTo("事件类型：高<|im_end|>");
    }
  }
}
