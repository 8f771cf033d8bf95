package dev.align4j.peft.data.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.DataProblem;
import dev.align4j.peft.data.SourceRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ExampleParserTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final Path F = Path.of("d.jsonl");

  private static SourceRecord rec(long line, String json) throws Exception {
    return new SourceRecord(F, line, (ObjectNode) M.readTree(json));
  }

  private static List<String> problems(DataFormat f, String json) throws Exception {
    return ExampleParser.of(f).check(rec(7, json)).problems().stream().map(DataProblem::toString)
        .collect(Collectors.toList());
  }

  private static Turn u(String s) {
    return new Turn(Role.USER, s);
  }

  private static Turn a(String s) {
    return new Turn(Role.ASSISTANT, s);
  }

  @Test
  void alpacaWithHistoryAndSystem() throws Exception {
    Example e = ExampleParser.of(DataFormat.ALPACA).parse(rec(1,
        "{\"instruction\":\"翻译\",\"input\":\"hello\",\"output\":\"你好\",\"system\":\"你是译者\","
            + "\"history\":[[\"q1\",\"a1\"],[\"q2\",\"a2\"]]}"));
    assertThat(e).isEqualTo(new Conversation("你是译者", List.of(u("q1"), a("a1"), u("q2"), a("a2"),
        u("翻译\nhello"), a("你好"))));
    assertThat(e.charCount()).isEqualTo(4 + 2 + 2 + 2 + 2 + 8 + 2);
    // empty input and blank system are allowed and dropped
    assertThat(ExampleParser.of(DataFormat.ALPACA).parse(rec(1, "{\"instruction\":\"i\",\"input\":\"\",\"output\":\"o\",\"system\":\"\"}")))
        .isEqualTo(new Conversation(null, List.of(u("i"), a("o"))));
  }

  @Test
  void alpacaErrors() throws Exception {
    assertThat(problems(DataFormat.ALPACA, "{\"instruction\":\"  \",\"input\":3,\"history\":[[\"q\"],[\"q\",\"\"]]}"))
        .containsExactly(
            "d.jsonl:7: instruction: whitespace-only string",
            "d.jsonl:7: input: expected a string but got a number",
            "d.jsonl:7: output: missing field",
            "d.jsonl:7: history[0]: expected a [query, response] pair but got an array of 1",
            "d.jsonl:7: history[1][1]: empty string");
    assertThatThrownBy(() -> ExampleParser.of(DataFormat.ALPACA).parse(rec(3, "{\"instruction\":\"i\"}")))
        .isInstanceOf(DataFormatException.class).hasMessage("d.jsonl:3: output: missing field");
  }

  @Test
  void sharegptRoleMapping() throws Exception {
    Example e = ExampleParser.of(DataFormat.SHAREGPT).parse(rec(1, "{\"conversations\":["
        + "{\"from\":\"system\",\"value\":\"S\"},{\"from\":\"human\",\"value\":\"查天气\"},"
        + "{\"from\":\"function_call\",\"value\":\"{\\\"name\\\":\\\"w\\\"}\"},{\"from\":\"observation\",\"value\":\"晴\"},"
        + "{\"from\":\"gpt\",\"value\":\"今天晴\"},{\"from\":\"user\",\"value\":\"谢谢\"},{\"from\":\"assistant\",\"value\":\"不客气\"}]}"));
    assertThat(e).isEqualTo(new Conversation("S", List.of(u("查天气"), a("{\"name\":\"w\"}"),
        new Turn(Role.TOOL, "晴"), a("今天晴"), u("谢谢"), a("不客气"))));
    // system column used when there is no system message
    assertThat(ExampleParser.of(DataFormat.SHAREGPT).parse(rec(1,
        "{\"system\":\"sys\",\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}")))
        .isEqualTo(new Conversation("sys", List.of(u("q"), a("a"))));
  }

  @Test
  void sharegptErrors() throws Exception {
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},"
        + "{\"from\":\"human\",\"value\":\"q2\"},{\"from\":\"gpt\",\"value\":\"a\"}]}"))
        .containsExactly("d.jsonl:7: conversations[1].from: turns not alternating user/assistant: "
            + "expected an assistant turn but got 'human'");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[{\"from\":\"bot\",\"value\":\"q\"},"
        + "{\"from\":\"gpt\",\"value\":\" \"}]}"))
        .containsExactly("d.jsonl:7: conversations[0].from: unknown role 'bot'",
            "d.jsonl:7: conversations[1].value: whitespace-only string");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"}]}"))
        .containsExactly("d.jsonl:7: conversations: conversation must end with an assistant turn");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},"
        + "{\"from\":\"gpt\",\"value\":\"a\"},{\"from\":\"system\",\"value\":\"s\"}]}"))
        .containsExactly("d.jsonl:7: conversations[2].from: system message is only allowed first");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":\"hi\"}"))
        .containsExactly("d.jsonl:7: conversations: expected an array of messages but got a string");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[]}"))
        .containsExactly("d.jsonl:7: conversations: empty conversation");
    assertThat(problems(DataFormat.SHAREGPT, "{\"conversations\":[{\"from\":\"human\"},{\"from\":\"gpt\",\"value\":1}]}"))
        .containsExactly("d.jsonl:7: conversations[0].value: missing field",
            "d.jsonl:7: conversations[1].value: expected a string but got a number");
  }

  @Test
  void openaiMessages() throws Exception {
    Example e = ExampleParser.of(DataFormat.OPENAI).parse(rec(1, "{\"messages\":["
        + "{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"q\"},"
        + "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"tool\",\"content\":\"r\"},"
        + "{\"role\":\"assistant\",\"content\":\"b\"}]}"));
    assertThat(e).isEqualTo(new Conversation("S", List.of(u("q"), a("a"), new Turn(Role.TOOL, "r"), a("b"))));
    assertThat(problems(DataFormat.OPENAI, "{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}]}"))
        .containsExactly("d.jsonl:7: messages[0].role: turns not alternating user/assistant: "
            + "expected a user or observation turn but got 'assistant'");
    assertThat(problems(DataFormat.OPENAI, "{\"msgs\":[]}")).containsExactly("d.jsonl:7: messages: missing field");
  }

  @Test
  void plainText() throws Exception {
    assertThat(ExampleParser.of(DataFormat.TEXT).parse(rec(1, "{\"text\":\"一段文字\"}"))).isEqualTo(new PlainText("一段文字"));
    assertThat(problems(DataFormat.TEXT, "{\"text\":\"\"}")).containsExactly("d.jsonl:7: text: empty string");
    assertThat(problems(DataFormat.TEXT, "{\"text\":[\"a\"]}")).containsExactly("d.jsonl:7: text: expected a string but got an array");
  }

  @Test
  void datasetInfoMappingWithCustomColumnsAndTags() throws Exception {
    ColumnMapping m = ColumnMapping.fromDatasetInfo(M.readTree("{\"formatting\":\"sharegpt\","
        + "\"columns\":{\"messages\":\"dialog\",\"system\":\"sys_prompt\"},"
        + "\"tags\":{\"role_tag\":\"speaker\",\"content_tag\":\"text\",\"user_tag\":\"customer\",\"assistant_tag\":\"agent\"}}"));
    assertThat(m.format()).isEqualTo(DataFormat.SHAREGPT);
    assertThat(m.tags().observationTag()).isEqualTo("observation"); // default kept
    Example e = new ExampleParser(m).parse(rec(1, "{\"sys_prompt\":\"客服\",\"dialog\":["
        + "{\"speaker\":\"customer\",\"text\":\"退货\"},{\"speaker\":\"agent\",\"text\":\"好的\"}]}"));
    assertThat(e).isEqualTo(new Conversation("客服", List.of(u("退货"), a("好的"))));
    ColumnMapping alp = ColumnMapping.fromDatasetInfo(M.readTree("{\"columns\":{\"prompt\":\"q\",\"response\":\"r\"}}"));
    assertThat(new ExampleParser(alp).parse(rec(1, "{\"q\":\"Q\",\"r\":\"R\"}")))
        .isEqualTo(new Conversation(null, List.of(u("Q"), a("R"))));
  }

  @Test
  void autodetect() throws Exception {
    assertThat(DataFormat.autodetect((ObjectNode) M.readTree("{\"conversations\":[]}"))).contains(DataFormat.SHAREGPT);
    assertThat(DataFormat.autodetect((ObjectNode) M.readTree("{\"messages\":[]}"))).contains(DataFormat.OPENAI);
    assertThat(DataFormat.autodetect((ObjectNode) M.readTree("{\"instruction\":\"\",\"output\":\"\"}"))).contains(DataFormat.ALPACA);
    assertThat(DataFormat.autodetect((ObjectNode) M.readTree("{\"text\":\"t\"}"))).contains(DataFormat.TEXT);
    assertThat(DataFormat.autodetect((ObjectNode) M.readTree("{\"foo\":1}"))).isEmpty();
    assertThat(DataFormat.parse("ShareGPT")).isEqualTo(DataFormat.SHAREGPT);
    assertThatThrownBy(() -> DataFormat.parse("csv")).hasMessageContaining("unknown data format 'csv'");
  }

  @Test
  void aPreferencePromptEndsWithAUserTurn() throws Exception {
    // LLaMA-Factory's sharegpt ranking layout: the prompt in conversations, the replies apart
    SourceRecord r = rec(4, "{\"conversations\":[{\"from\":\"system\",\"value\":\"be brief\"},"
        + "{\"from\":\"human\",\"value\":\"q1\"},{\"from\":\"gpt\",\"value\":\"a1\"},"
        + "{\"from\":\"human\",\"value\":\"q2\"}],"
        + "\"chosen\":{\"from\":\"gpt\",\"value\":\"good\"},\"rejected\":{\"from\":\"gpt\",\"value\":\"bad\"}}");
    ExampleParser p = ExampleParser.of(DataFormat.SHAREGPT);
    assertThat(p.checkMessages(r, "conversations", Role.USER).value())
        .isEqualTo(new Conversation("be brief", List.of(u("q1"), a("a1"), u("q2"))));
    // the same array is not a training conversation, and names the rule it breaks
    assertThat(p.checkMessages(r, "conversations", Role.ASSISTANT).problems()).extracting(DataProblem::toString)
        .containsExactly("d.jsonl:4: conversations: conversation must end with an assistant turn");
    assertThat(p.check(r).problems()).extracting(DataProblem::toString)
        .containsExactly("d.jsonl:4: conversations: conversation must end with an assistant turn");
    SourceRecord answered = rec(5, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},"
        + "{\"from\":\"gpt\",\"value\":\"a\"}]}");
    assertThat(p.checkMessages(answered, "conversations", Role.USER).problems()).extracting(DataProblem::toString)
        .containsExactly("d.jsonl:5: conversations: conversation must end with a user turn");
    assertThat(p.checkMessages(answered, "prompt", Role.USER).problems()).extracting(DataProblem::toString)
        .containsExactly("d.jsonl:5: prompt: missing field");
  }
}
