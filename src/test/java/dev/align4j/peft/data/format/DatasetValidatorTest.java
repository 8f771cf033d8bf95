package dev.align4j.peft.data.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.data.DataProblem;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetValidatorTest {
  @TempDir
  Path dir;

  @Test
  void everyProblemWithItsExactLine() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    String[] lines = {
      "{\"instruction\":\"i\",\"input\":\"\",\"output\":\"o\"}",                 // 1 ok
      "",                                                                         // 2 blank
      "{\"instruction\":\"i\",\"output\":\"   \"}",                               // 3 blank output
      "{\"instruction\":\"i\",\"output\":\"o\"",                                  // 4 malformed
      "{\"instruction\":\"" + "长".repeat(30) + "\",\"output\":\"o\"}",           // 5 too long (31 > 20)
      "{\"instruction\":1,\"output\":\"o\",\"history\":{}}",                      // 6 two problems
    };
    for (String l : lines) {
      b.writeBytes((l + "\n").getBytes(StandardCharsets.UTF_8));
    }
    b.writeBytes(new byte[] {'{', '"', 'o', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'});   // 7 invalid UTF-8
    b.writeBytes("{\"instruction\":\"i\",\"output\":\"o\"}\n".getBytes(StandardCharsets.UTF_8)); // 8 ok
    Path f = dir.resolve("v.jsonl");
    Files.write(f, b.toByteArray());

    DatasetValidator.Report r = new DatasetValidator(null, 20).validate(f);
    assertThat(r.format()).isEqualTo(DataFormat.ALPACA);
    assertThat(r.records()).isEqualTo(5);
    assertThat(r.ok()).isFalse();
    assertThat(r.problems().stream().map(DataProblem::toString).collect(Collectors.toList())).containsExactly(
        f + ":3: output: whitespace-only string",
        f + ":4: malformed JSON: Unexpected end-of-input: expected close marker for Object (column 32)",
        f + ":5: example too long: 31 characters > max 20",
        f + ":6: instruction: expected a string but got a number",
        f + ":6: history: expected an array of [query, response] pairs but got an object",
        f + ":7: invalid UTF-8 byte sequence");
    assertThat(new DatasetValidator(null, 0).validate(f).problems()).hasSize(5); // no length limit
  }

  @Test
  void undetectableFormatAndExplicitFormat() throws Exception {
    Path f = dir.resolve("x.json");
    Files.writeString(f, "[{\"foo\":1},\n {\"text\":\"t\"}]");
    DatasetValidator.Report r = new DatasetValidator(null, 0).validate(f);
    assertThat(r.format()).isEqualTo(DataFormat.TEXT);
    assertThat(r.problems()).extracting(DataProblem::line).containsExactly(1L);
    DatasetValidator.Report s = new DatasetValidator(ColumnMapping.defaults(DataFormat.OPENAI), 0).validate(f);
    assertThat(s.problems()).extracting(DataProblem::toString)
        .containsExactly(f + ":1: messages: missing field", f + ":2: messages: missing field");
  }
}
