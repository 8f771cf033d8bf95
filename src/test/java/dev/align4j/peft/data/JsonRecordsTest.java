package dev.align4j.peft.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonRecordsTest {
  @TempDir
  Path dir;

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private Path write(String name, String text) throws IOException {
    return write(name, text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<Long> lines(List<SourceRecord> rs) {
    return rs.stream().map(SourceRecord::line).collect(Collectors.toList());
  }

  @Test
  void jsonlWithBlankLinesCrlfAndBom() throws IOException {
    Path f = write("a.jsonl", "\uFEFF{\"a\":1}\r\n\n  \n{\"a\":\"二\"}\n{\"a\":3}");
    List<SourceRecord> rs = JsonRecords.readAll(f);
    assertThat(lines(rs)).containsExactly(1L, 4L, 5L);
    assertThat(rs.get(1).value().get("a").asText()).isEqualTo("二");
    assertThat(rs.get(0).file()).isEqualTo(f);
    try (JsonRecords r = JsonRecords.open(f)) {
      assertThat(r.layout()).isEqualTo(JsonRecords.Layout.JSONL);
    }
  }

  @Test
  void jsonArrayReportsTheLineWhereEachObjectStarts() throws IOException {
    Path f = write("a.json", "\uFEFF\n[\n  {\"a\": 1,\n   \"b\": [1, 2]},\n  {\"a\": 2}\n,{\"a\":3}]\n");
    try (JsonRecords r = JsonRecords.open(f); Stream<SourceRecord> s = r.stream()) {
      assertThat(r.layout()).isEqualTo(JsonRecords.Layout.JSON_ARRAY);
      List<SourceRecord> rs = s.collect(Collectors.toList());
      assertThat(lines(rs)).containsExactly(3L, 5L, 6L);
      assertThat(rs.get(2).value().get("a").asInt()).isEqualTo(3);
    }
  }

  @Test
  void malformedJsonlLineNamesFileAndLine() throws IOException {
    Path f = write("bad.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\": }\n{\"a\":4}\n");
    assertThatThrownBy(() -> JsonRecords.readAll(f))
        .isInstanceOf(DataFormatException.class)
        .hasMessageStartingWith(f + ":3: malformed JSON")
        .satisfies(e -> assertThat(((DataFormatException) e).problem().line()).isEqualTo(3));
    List<DataProblem> problems = new ArrayList<>();
    List<SourceRecord> good = new ArrayList<>();
    try (JsonRecords r = JsonRecords.open(f, problems::add)) {
      r.forEachRemaining(good::add);
    }
    assertThat(lines(good)).containsExactly(1L, 2L, 4L);
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).line()).isEqualTo(3);
  }

  @Test
  void trailingGarbageAndNonObjectsAreErrors() throws IOException {
    Path f = write("t.jsonl", "{\"a\":1} x\n[1,2]\n\"s\"\n{\"ok\":true}\n");
    List<DataProblem> problems = new ArrayList<>();
    List<SourceRecord> good = new ArrayList<>();
    try (JsonRecords r = JsonRecords.open(f, problems::add)) {
      r.forEachRemaining(good::add);
    }
    assertThat(lines(good)).containsExactly(4L);
    assertThat(problems).extracting(DataProblem::line).containsExactly(1L, 2L, 3L);
    assertThat(problems.get(1).message()).contains("not a JSON object");
  }

  @Test
  void invalidUtf8InJsonlIsReportedWithItsLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("{\"a\":\"好\"}\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE5, (byte) 0x28, '"', '}', '\n'}); // broken 3-byte seq
    b.writeBytes("{\"a\":\"ok\"}\n".getBytes(StandardCharsets.UTF_8));
    Path f = write("u.jsonl", b.toByteArray());
    assertThatThrownBy(() -> JsonRecords.readAll(f)).isInstanceOf(DataFormatException.class)
        .hasMessage(f + ":2: invalid UTF-8 byte sequence");
    List<DataProblem> problems = new ArrayList<>();
    List<SourceRecord> good = new ArrayList<>();
    try (JsonRecords r = JsonRecords.open(f, problems::add)) {
      r.forEachRemaining(good::add);
    }
    assertThat(lines(good)).containsExactly(1L, 3L);
    assertThat(problems).extracting(DataProblem::line).containsExactly(2L);
  }

  @Test
  void invalidUtf8InJsonArrayIsReportedWithItsLineEvenPastTheFirstBuffer() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("[\n".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 2000; i++) { // lines 2..2001, ~40 KB: well past one 8 KB decode buffer
      b.writeBytes(("{\"i\":" + i + ",\"t\":\"中文文本内容\"},\n").getBytes(StandardCharsets.UTF_8));
    }
    b.writeBytes(new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xFF, '"', '}', '\n', ']'}); // line 2002
    Path f = write("u.json", b.toByteArray());
    List<DataProblem> problems = new ArrayList<>();
    int[] n = {0};
    try (JsonRecords r = JsonRecords.open(f, problems::add)) {
      r.forEachRemaining(x -> n[0]++);
    }
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).line()).isEqualTo(2002);
    assertThat(problems.get(0).message()).contains("invalid UTF-8");
    assertThat(n[0]).isLessThanOrEqualTo(2000);
    assertThatThrownBy(() -> JsonRecords.readAll(f)).hasMessageStartingWith(f + ":2002: invalid UTF-8");
  }

  @Test
  void truncatedJsonArray() throws IOException {
    Path f = write("t.json", "[\n{\"a\":1},\n{\"a\":");
    assertThatThrownBy(() -> JsonRecords.readAll(f)).isInstanceOf(DataFormatException.class)
        .hasMessageStartingWith(f + ":3: malformed JSON");
  }

  @Test
  void writerIsAtomicAndRefusesTheInput() throws IOException {
    ObjectMapper m = new ObjectMapper();
    Path out = dir.resolve("sub/out.jsonl");
    JsonlWriter.writeAll(out, List.of(m.readTree("{\"a\":\"中\"}"), m.readTree("{\"b\":2}")));
    assertThat(Files.readString(out)).isEqualTo("{\"a\":\"中\"}\n{\"b\":2}\n");
    // an abandoned writer leaves the old file and no temp file behind
    try (JsonlWriter w = JsonlWriter.create(out)) {
      w.write(m.readTree("{\"c\":3}"));
    }
    assertThat(Files.readString(out)).isEqualTo("{\"a\":\"中\"}\n{\"b\":2}\n");
    try (Stream<Path> s = Files.list(out.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("out.jsonl");
    }
    assertThat(lines(JsonRecords.readAll(out))).containsExactly(1L, 2L);
    Path in = write("in.jsonl", "{}\n");
    assertThatThrownBy(() -> JsonlWriter.requireDistinct(in, dir.resolve("./x/../in.jsonl")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input");
    JsonlWriter.requireDistinct(in, out); // different files are fine
  }
}
