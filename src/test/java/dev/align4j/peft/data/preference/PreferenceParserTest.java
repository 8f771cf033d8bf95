package dev.align4j.peft.data.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.DataProblem;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.tokenizer.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceParserTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final Path F = Path.of("p.jsonl");

  @TempDir
  Path tmp;

  private static SourceRecord rec(long line, String json) throws Exception {
    return new SourceRecord(F, line, (ObjectNode) M.readTree(json));
  }

  private static List<String> problems(PreferenceParser p, String json) throws Exception {
    return p.check(rec(3, json)).problems().stream().map(DataProblem::toString).toList();
  }

  private static Segment.Text t(String s) {
    return new Segment.Text(s);
  }

  private static Segment.Chat chat(ChatMessage... m) {
    return new Segment.Chat(List.of(m));
  }

  @Test
  void trlTextExplicitPromptWithMarginAndExtras() throws Exception {
    PreferencePair p = PreferenceParser.auto().parse(rec(4,
        "{\"prompt\":\"The sky is\",\"chosen\":\" blue.\",\"rejected\":\" green.\",\"margin\":1.5,\"kind\":\"risk\",\"n\":3}"));
    assertThat(p.prompt()).isEqualTo(t("The sky is"));
    assertThat(p.chosen()).isEqualTo(t(" blue."));
    assertThat(p.rejected()).isEqualTo(t(" green."));
    assertThat(p.margin()).isEqualTo(OptionalDouble.of(1.5));
    assertThat(p.extras()).isEqualTo(Map.of("kind", "risk"));   // string-valued fields only
    assertThat(p.location()).isEqualTo("p.jsonl:4");
    assertThat(p.isChat()).isFalse();
  }

  @Test
  void trlTextImplicitPromptIsTheCommonPrefix() throws Exception {
    PreferencePair p = PreferenceParser.auto().parse(rec(1, "{\"chosen\":\"Q: 2+2? A: 4\",\"rejected\":\"Q: 2+2? A: 5\"}"));
    // TRL moves the space before the first difference into the completions
    assertThat(p.prompt()).isEqualTo(t("Q: 2+2? A:"));
    assertThat(p.chosen()).isEqualTo(t(" 4"));
    assertThat(p.rejected()).isEqualTo(t(" 5"));
  }

  @Test
  void trlChatExplicitAndImplicit() throws Exception {
    PreferencePair e = PreferenceParser.auto().parse(rec(1, "{\"prompt\":[{\"role\":\"system\",\"content\":\"s\"},"
        + "{\"role\":\"user\",\"content\":\"q\"}],\"chosen\":[{\"role\":\"assistant\",\"content\":\"yes\"}],"
        + "\"rejected\":[{\"role\":\"assistant\",\"content\":\"no\"}]}"));
    assertThat(e.prompt()).isEqualTo(chat(ChatMessage.system("s"), ChatMessage.user("q")));
    assertThat(e.chosen()).isEqualTo(chat(ChatMessage.assistant("yes")));
    assertThat(e.isChat()).isTrue();
    PreferencePair i = PreferenceParser.auto().parse(rec(1, "{\"chosen\":[{\"role\":\"user\",\"content\":\"q\"},"
        + "{\"role\":\"assistant\",\"content\":\"yes\"}],\"rejected\":[{\"role\":\"user\",\"content\":\"q\"},"
        + "{\"role\":\"assistant\",\"content\":\"no\"}]}"));
    assertThat(i.prompt()).isEqualTo(chat(ChatMessage.user("q")));
    assertThat(i.chosen()).isEqualTo(chat(ChatMessage.assistant("yes")));
    assertThat(i.rejected()).isEqualTo(chat(ChatMessage.assistant("no")));
  }

  @Test
  void textPromptNextToFullConversationsIsIgnoredAsTrlMaybeExtractPromptDoes() throws Exception {
    PreferencePair p = PreferenceParser.auto().parse(rec(1, "{\"prompt\":\"q\",\"chosen\":[{\"role\":\"user\",\"content\":\"q\"},"
        + "{\"role\":\"assistant\",\"content\":\"yes\"}],\"rejected\":[{\"role\":\"user\",\"content\":\"q\"},"
        + "{\"role\":\"assistant\",\"content\":\"no\"}]}"));
    assertThat(p.prompt()).isEqualTo(chat(ChatMessage.user("q")));
    assertThat(p.chosen()).isEqualTo(chat(ChatMessage.assistant("yes")));
  }

  @Test
  void structuralProblemsNameFileLineAndField() throws Exception {
    PreferenceParser p = PreferenceParser.of(PreferenceFormat.TRL);
    assertThat(problems(p, "{\"prompt\":\"x\",\"rejected\":\"r\"}")).containsExactly("p.jsonl:3: chosen: missing field");
    assertThat(problems(p, "{\"chosen\":1,\"rejected\":\"r\"}"))
        .containsExactly("p.jsonl:3: chosen: expected a string or an array of messages but got a number");
    assertThat(problems(p, "{\"chosen\":\"c\",\"rejected\":[{\"role\":\"assistant\",\"content\":\"r\"}]}"))
        .containsExactly("p.jsonl:3: rejected: expected a string like chosen but got an array of messages");
    assertThat(problems(p, "{\"chosen\":[{\"role\":\"assistant\"}],\"rejected\":[{\"role\":7,\"content\":\"r\"}, 3]}"))
        .containsExactly("p.jsonl:3: chosen[0].content: missing field",
            "p.jsonl:3: rejected[0].role: expected a string but got a number",
            "p.jsonl:3: rejected[1]: expected a message object but got a number");
    assertThat(problems(p, "{\"chosen\":\"c\",\"rejected\":\"r\",\"margin\":\"big\"}"))
        .containsExactly("p.jsonl:3: margin: expected a number but got a string");
    assertThat(problems(PreferenceParser.auto(), "{\"chosen\":\"c\"}")).containsExactly("p.jsonl:3: rejected: missing field");
    assertThatThrownBy(() -> p.parse(rec(9, "{\"chosen\":\"c\"}"))).isInstanceOf(DataFormatException.class)
        .hasMessage("p.jsonl:9: rejected: missing field");
  }

  @Test
  void blankAndIdenticalSidesParseAndAreLeftToTheChecks() throws Exception {
    PreferencePair p = PreferenceParser.auto().parse(rec(1, "{\"prompt\":\"\",\"chosen\":\"same\",\"rejected\":\"same\"}"));
    assertThat(PreferenceChecks.check(p)).containsExactly(ProblemKind.IDENTICAL, ProblemKind.EMPTY_PROMPT);
    PreferencePair q = PreferenceParser.auto().parse(rec(1, "{\"prompt\":\"p\",\"chosen\":\" \",\"rejected\":\"r\"}"));
    assertThat(PreferenceChecks.check(q)).containsExactly(ProblemKind.EMPTY_CHOSEN);
  }

  @Test
  void alpacaRankingHistoryProblemsNameThePairAsSftDoes() throws Exception {
    // the history column is read by AlpacaHistory for SFT and ranking alike: the same field paths and words
    assertThat(PreferenceParser.auto().check(rec(4, "{\"instruction\":\"i\",\"history\":[[\"q1\"],[\"q2\",\" \"]],"
        + "\"chosen\":\"c\",\"rejected\":\"r\"}")).problems().stream().map(DataProblem::toString).toList())
        .containsExactly("p.jsonl:4: history[0]: expected a [query, response] pair but got an array of 1",
            "p.jsonl:4: history[1][1]: whitespace-only string");
  }

  @Test
  void alpacaRankingFollowsLlamaFactoryConverter() throws Exception {
    // AlpacaDatasetConverter: history turns, then "instruction\ninput" as the user turn; system column
    PreferencePair p = PreferenceParser.auto().parse(rec(2, "{\"instruction\":\"翻译\",\"input\":\"hello\","
        + "\"system\":\"你是译者\",\"history\":[[\"q1\",\"a1\"]],\"chosen\":\"你好\",\"rejected\":\"再见\"}"));
    assertThat(p.prompt()).isEqualTo(chat(ChatMessage.system("你是译者"), ChatMessage.user("q1"),
        ChatMessage.assistant("a1"), ChatMessage.user("翻译\nhello")));
    assertThat(p.chosen()).isEqualTo(chat(ChatMessage.assistant("你好")));
    assertThat(p.rejected()).isEqualTo(chat(ChatMessage.assistant("再见")));
    // custom columns from a dataset_info.json entry
    PreferenceParser custom = PreferenceParser.fromDatasetInfo(M.readTree("{\"file_name\":\"x.json\",\"ranking\":true,"
        + "\"columns\":{\"prompt\":\"q\",\"query\":\"ctx\",\"chosen\":\"good\",\"rejected\":\"bad\"}}"));
    PreferencePair c = custom.parse(rec(1, "{\"q\":\"Q\",\"ctx\":\"\",\"good\":\"G\",\"bad\":\"B\"}"));
    assertThat(c.prompt()).isEqualTo(chat(ChatMessage.user("Q")));
    assertThat(c.chosen()).isEqualTo(chat(ChatMessage.assistant("G")));
    assertThat(problems(custom, "{\"q\":\"Q\",\"good\":[\"G\"],\"bad\":\"B\"}"))
        .containsExactly("p.jsonl:3: good: expected a string but got an array");
  }

  @Test
  void sharegptRankingFollowsLlamaFactoryConverter() throws Exception {
    String rec = "{\"conversations\":[{\"from\":\"system\",\"value\":\"S\"},{\"from\":\"human\",\"value\":\"q1\"},"
        + "{\"from\":\"gpt\",\"value\":\"a1\"},{\"from\":\"human\",\"value\":\"q2\"}],"
        + "\"chosen\":{\"from\":\"gpt\",\"value\":\"good\"},\"rejected\":{\"from\":\"gpt\",\"value\":\"bad\"}}";
    PreferencePair p = PreferenceParser.auto().parse(rec(1, rec));
    assertThat(p.prompt()).isEqualTo(chat(ChatMessage.system("S"), ChatMessage.user("q1"), ChatMessage.assistant("a1"),
        ChatMessage.user("q2")));
    assertThat(p.chosen()).isEqualTo(chat(ChatMessage.assistant("good")));
    PreferenceParser info = PreferenceParser.fromDatasetInfo(M.readTree("{\"ranking\":true,\"formatting\":\"sharegpt\","
        + "\"columns\":{\"messages\":\"conversations\",\"chosen\":\"chosen\",\"rejected\":\"rejected\"}}"));
    assertThat(info.parse(rec(1, rec))).isEqualTo(p);
    // the conversation must end on the user side (LLaMA-Factory: odd message count), chosen must be an assistant
    assertThat(problems(info, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}],"
        + "\"chosen\":{\"from\":\"human\",\"value\":\"g\"},\"rejected\":{\"from\":\"gpt\",\"value\":\"b\"}}"))
        .containsExactly("p.jsonl:3: conversations: conversation must end with a user turn",
            "p.jsonl:3: chosen.from: expected an assistant role ('gpt' or 'function_call') but got 'human'");
    assertThatThrownBy(() -> PreferenceParser.fromDatasetInfo(M.readTree("{\"formatting\":\"sharegpt\"}")))
        .hasMessageContaining("\"ranking\": true");
  }

  @Test
  void filesJsonlAndArrayWithLinesAndOneKindPerFile() throws Exception {
    Path arr = tmp.resolve("a.json");
    Files.writeString(arr, "[\n {\"chosen\":\"a1\",\"rejected\":\"a2\"},\n {\"chosen\":\"b1\",\n  \"rejected\":\"b2\"}\n]\n",
        StandardCharsets.UTF_8);
    List<PreferencePair> pairs = PreferenceData.readPairs(arr);
    assertThat(pairs).extracting(PreferencePair::line).containsExactly(2L, 3L);
    Path mixed = tmp.resolve("m.jsonl");
    Files.writeString(mixed, "{\"chosen\":\"a1\",\"rejected\":\"a2\"}\n\n{\"chosen\":[{\"role\":\"assistant\",\"content\":\"x\"}],"
        + "\"rejected\":[{\"role\":\"assistant\",\"content\":\"y\"}],\"prompt\":[{\"role\":\"user\",\"content\":\"q\"}]}\n"
        + "{\"chosen\":\"c\"}\n{bad json\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> PreferenceData.readPairs(mixed)).isInstanceOf(DataFormatException.class)
        .hasMessage(mixed + ":3: record is conversational but the file's first record is text (one file holds one kind)");
    PreferenceData.Validation v = PreferenceData.validate(mixed, PreferenceParser.auto());
    assertThat(v.records()).isEqualTo(3);
    assertThat(v.pairs()).hasSize(1);
    assertThat(v.problems()).extracting(DataProblem::line).containsExactly(3L, 4L, 5L);
    assertThat(v.problems().get(1).toString()).isEqualTo(mixed + ":4: rejected: missing field");
  }

  @Test
  void unpairedKtoRecordsAndPairedFilesUnpairedInTrlOrder() throws Exception {
    Path k = tmp.resolve("k.jsonl");
    Files.writeString(k, "{\"prompt\":\"p\",\"completion\":\" c\",\"label\":true}\n"
        + "{\"prompt\":[{\"role\":\"user\",\"content\":\"q\"}],\"completion\":[{\"role\":\"assistant\",\"content\":\"a\"}],\"label\":false}\n",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> PreferenceData.readUnpaired(k))
        .hasMessage(k + ":2: record is conversational but the file's first record is text (one file holds one kind)");
    UnpairedParser up = new UnpairedParser();
    assertThat(up.check(rec(5, "{\"prompt\":\"p\",\"completion\":\"c\",\"label\":\"yes\"}")).problems())
        .extracting(DataProblem::toString).containsExactly("p.jsonl:5: label: expected true or false but got a string");
    UnpairedExample e = up.parse(rec(5, "{\"prompt\":\"p\",\"completion\":\"c\",\"label\":false,\"id\":\"x\"}"));
    assertThat(e.label()).isFalse();
    assertThat(e.extras()).isEqualTo(Map.of("id", "x"));

    Path pairs = tmp.resolve("pairs.jsonl");
    Files.writeString(pairs, "{\"prompt\":\"p0\",\"chosen\":\"c0\",\"rejected\":\"r0\"}\n"
        + "{\"prompt\":\"p1\",\"chosen\":\"c1\",\"rejected\":\"r1\"}\n{\"prompt\":\"p2\",\"chosen\":\"c2\",\"rejected\":\"r2\"}\n",
        StandardCharsets.UTF_8);
    List<UnpairedExample> u = PreferenceData.readUnpaired(pairs);
    // datasets.map(batched=True): one batch here, all chosen then all rejected
    assertThat(u).extracting(x -> ((Segment.Text) x.completion()).text() + (x.label() ? "+" : "-"))
        .containsExactly("c0+", "c1+", "c2+", "r0-", "r1-", "r2-");
    List<UnpairedExample> b2 = Unpairing.unpair(PreferenceData.readPairs(pairs), 2);
    assertThat(b2).extracting(x -> ((Segment.Text) x.completion()).text())
        .containsExactly("c0", "c1", "r0", "r1", "c2", "r2");
    assertThat(b2.get(2).prompt()).isEqualTo(t("p0"));
  }
}
