package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden utilities the interop checks drive: {@code align4j tokenize} and {@code align4j chat-template}. */
class TokenizerCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String QWEN3 = "recipes/assets/tokenizers/qwen3";

  @TempDir Path tmp;

  private static List<JsonNode> run(String... args) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute(args)).as(String.join(" ", args)).isZero();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{"))
        .map(l -> {
          try {
            return JSON.readTree(l);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }).toList();
  }

  @Test
  void tokenizePrintsIdsPerLineWithPerLineSpecialTokens() throws Exception {
    Path in = tmp.resolve("t.jsonl");
    // Qwen3 ids of "Hello" (9707) and "<|im_end|>" (151645), as transformers gives them.
    Files.writeString(in, "{\"text\": \"Hello<|im_end|>\"}\n{\"text\": \"Hello\", \"add_special_tokens\": false}\n");
    List<JsonNode> rows = run("tokenize", "--model", QWEN3, "--input", in.toString());
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).get("ids").toString()).isEqualTo("[9707,151645]");
    assertThat(rows.get(1).get("ids").toString()).isEqualTo("[9707]");
  }

  @Test
  void chatTemplateRendersRaisesAndMasksInOneRun() throws Exception {
    Path template = tmp.resolve("t.jinja");
    Files.writeString(template, "{% for m in messages %}{% if m.role == 'system' %}"
        + "{{ raise_exception('no system') }}{% endif %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
        + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
    Path in = tmp.resolve("r.jsonl");
    Files.writeString(in, String.join("\n",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}],"
            + " \"assistant_mask\": true}") + "\n");
    List<JsonNode> rows = run("chat-template", "--template", template.toString(), "--model", QWEN3,
        "--input", in.toString());
    assertThat(rows).hasSize(3);
    assertThat(rows.get(0).get("text").asText()).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(rows.get(1).get("error").asText()).contains("no system");
    JsonNode masked = rows.get(2);
    assertThat(masked.get("input_ids").size()).isEqualTo(masked.get("assistant_masks").size());
    // assistant tokens: "Yo" and <|im_end|> (the masker's rule), not the header or the trailing newline
    int ones = 0;
    for (JsonNode v : masked.get("assistant_masks")) {
      ones += v.asInt();
    }
    assertThat(ones).isEqualTo(2);
  }
}
