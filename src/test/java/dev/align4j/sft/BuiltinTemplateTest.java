package dev.align4j.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.Role;
import dev.align4j.peft.data.format.Turn;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Built-in templates render as hand-written expectations and mask the assistant's text plus EOS. */
class BuiltinTemplateTest {
  @TempDir Path tmp;

  private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "S"), new ChatMessage("user", "Hi"),
      new ChatMessage("assistant", "Yo"));

  @Test
  void rendersAsHandWritten() {
    Map<String, String> tokens = Map.of("eos_token", "</s>", "bos_token", "<s>");
    assertThat(BuiltinTemplate.ALPACA.template(tokens).render(CHAT, false))
        .isEqualTo("S\n\n### Instruction:\nHi\n\n### Response:\nYo</s>\n\n");
    assertThat(BuiltinTemplate.CHATML.template(tokens).render(CHAT.subList(1, 2), true))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(BuiltinTemplate.QWEN.template(tokens).render(CHAT.subList(1, 3), false))
        .isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\nYo<|im_end|>\n");
    assertThat(BuiltinTemplate.LLAMA3.template(tokens).render(CHAT.subList(1, 2), true))
        .isEqualTo("<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    assertThatThrownBy(() -> BuiltinTemplate.parse("vicuna")).hasMessageContaining("unknown template 'vicuna'");
  }

  @Test
  void alpacaMasksTheResponseAndEos() throws Exception {
    CharTokenizer.write(tmp, List.of("SHiYo#InstructRespon:"));
    try (Tokenizer tok = Tokenizer.load(tmp)) {
      SftEncoder enc = new SftEncoder(tok, BuiltinTemplate.ALPACA.template(tok.specialTokens()), SftOptions.defaults());
      TrainingExample e = enc.encode(new Conversation("S", List.of(new Turn(Role.USER, "Hi"), new Turn(Role.ASSISTANT, "Yo"))))
          .orElseThrow();
      StringBuilder trained = new StringBuilder();
      for (int i = 0; i < e.ids().length; i++) {
        if (e.targets()[i]) {
          trained.append(tok.decode(new long[] {e.ids()[i]}, false));
        }
      }
      assertThat(trained.toString()).isEqualTo("Yo<|im_end|>");
    }
  }
}
