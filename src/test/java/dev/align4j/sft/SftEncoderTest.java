package dev.align4j.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.Example;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loss masks per format and option, checked by decoding the trained tokens. */
class SftEncoderTest {
  @TempDir static Path tmp;
  static Tokenizer tok;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void tokenizer() throws Exception {
    CharTokenizer.write(tmp, List.of("abcdefghijklmnopqrstuvwxyz?!.,:0123456789 你好答问系统"));
    tok = Tokenizer.load(tmp);
  }

  private static Example parse(DataFormat f, String json) throws Exception {
    return ExampleParser.of(f).parse(new SourceRecord(tmp.resolve("d.jsonl"), 1, (ObjectNode) JSON.readTree(json)));
  }

  private static String trained(TrainingExample e) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < e.ids().length; i++) {
      b.append(e.targets()[i] ? tok.decode(new long[] {e.ids()[i]}, false) : "\u0000");
    }
    return b.toString().replaceAll("\u0000+", "|");
  }

  private static SftEncoder encoder(SftOptions o) {
    return new SftEncoder(tok, tok.chatTemplate().orElseThrow(), o);
  }

  @Test
  void withoutATemplatePlainTextEncodesAsWithOneAndConversationsAreRefusedByName() throws Exception {
    SftEncoder none = new SftEncoder(tok, null, SftOptions.defaults());
    Example text = parse(DataFormat.TEXT, "{\"text\": \"hello world\"}");
    TrainingExample a = none.encode(text).orElseThrow();
    TrainingExample b = encoder(SftOptions.defaults()).encode(text).orElseThrow();
    assertThat(a.ids()).isEqualTo(b.ids());
    assertThat(a.targets()).isEqualTo(b.targets());
    // the whole text is trained, then EOS
    assertThat(trained(a)).isEqualTo("ello world<|im_end|>");
    Example chat = parse(DataFormat.ALPACA, "{\"instruction\": \"q\", \"output\": \"a\"}");
    assertThatThrownBy(() -> none.encode(chat)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no chat_template").hasMessageContaining("template: alpaca|chatml|qwen|llama3");
  }

  @Test
  void alpacaWithHistoryTrainsEveryAssistantTurnByDefault() throws Exception {
    Example e = parse(DataFormat.ALPACA,
        "{\"instruction\": \"q2\", \"input\": \"\", \"output\": \"a2\", \"system\": \"sys\", \"history\": [[\"q1\", \"a1\"]]}");
    assertThat(trained(encoder(SftOptions.defaults()).encode(e).orElseThrow())).isEqualTo("|a1<|im_end|>|a2<|im_end|>|");
    assertThat(trained(encoder(new SftOptions(2048, false, true)).encode(e).orElseThrow())).isEqualTo("|a2<|im_end|>|");
    TrainingExample all = encoder(new SftOptions(2048, true, false)).encode(e).orElseThrow();
    assertThat(all.targetCount()).isEqualTo(all.ids().length - 1);   // train_on_prompt: every predicted token
    assertThat(trained(all)).contains("sys").contains("q1");
  }

  @Test
  void sharegptAndOpenAiMessagesMaskTheSameWay() throws Exception {
    Example sg = parse(DataFormat.SHAREGPT, "{\"conversations\": [{\"from\": \"human\", \"value\": \"你好\"},"
        + " {\"from\": \"gpt\", \"value\": \"答\"}, {\"from\": \"human\", \"value\": \"问?\"}, {\"from\": \"gpt\", \"value\": \"ok.\"}]}");
    Example oa = parse(DataFormat.OPENAI, "{\"messages\": [{\"role\": \"user\", \"content\": \"你好\"},"
        + " {\"role\": \"assistant\", \"content\": \"答\"}, {\"role\": \"user\", \"content\": \"问?\"}, {\"role\": \"assistant\", \"content\": \"ok.\"}]}");
    TrainingExample a = encoder(SftOptions.defaults()).encode(sg).orElseThrow();
    TrainingExample b = encoder(SftOptions.defaults()).encode(oa).orElseThrow();
    assertThat(a.ids()).containsExactly(b.ids());
    assertThat(trained(a)).isEqualTo("|答<|im_end|>|ok.<|im_end|>|");
  }

  @Test
  void plainTextTrainsEverythingAndEndsWithEos() throws Exception {
    TrainingExample t = encoder(SftOptions.defaults()).encode(parse(DataFormat.TEXT, "{\"text\": \"abc\"}")).orElseThrow();
    assertThat(trained(t)).isEqualTo("bc<|im_end|>");
  }

  @Test
  void truncationIsCountedAndTargetlessExamplesDropped() throws Exception {
    SftEncoder enc = encoder(new SftOptions(8, false, false));
    Example longAnswer = parse(DataFormat.ALPACA, "{\"instruction\": \"q\", \"output\": \"abcdefghijklmnop\"}");
    assertThat(enc.encode(longAnswer)).isEmpty();   // the prompt alone fills more than 8 tokens
    SftEncoder enc2 = encoder(new SftOptions(24, false, false));   // the ChatML prompt is 20 characters
    TrainingExample cut = enc2.encode(longAnswer).orElseThrow();
    assertThat(cut.ids()).hasSize(24);
    assertThat(trained(cut)).isEqualTo("|abcd");
    assertThat(enc2.truncatedCount()).isEqualTo(1);
    assertThat(enc.droppedCount()).isEqualTo(1);
    assertThat(enc.report()).contains("1 dropped");
  }
}
