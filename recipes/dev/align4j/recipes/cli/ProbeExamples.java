package dev.align4j.recipes.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.Example;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.peft.data.format.Role;
import dev.align4j.peft.data.format.Turn;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The rows of a probe data file: token ids of what the model reads and the label. The text is a field
 * ({@code --text-key}, or {@code text} when present), encoded as {@code tokenizer(text)}; otherwise
 * the record is a conversation (alpaca, sharegpt, OpenAI messages) and the model reads it up to its
 * last assistant turn, rendered by the chat template with the generation prompt: the answer, which
 * may state the label, is never seen.
 */
final class ProbeExamples {
  private ProbeExamples() {}

  /** One row: token ids (cut to the last {@code maxTokens}) and the label's text. */
  record Row(long[] ids, String label) {}

  static List<Row> read(Path file, String labelKey, String textKey, Tokenizer tok, int maxTokens) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "probe data: no such file");
    }
    List<Row> out = new ArrayList<>();
    try (JsonRecords r = JsonRecords.open(file)) {
      while (r.hasNext()) {
        SourceRecord rec = r.next();
        String where = file + ":" + rec.line();
        JsonNode label = rec.value().get(labelKey);
        if (label == null || !(label.isTextual() || label.isNumber() || label.isBoolean())) {
          throw new IllegalArgumentException(where + ": field \"" + labelKey
              + "\" (--label) must be a string, number or boolean");
        }
        long[] ids = ids(rec, where, textKey, tok);
        if (ids.length == 0) {
          throw new IllegalArgumentException(where + ": the text encodes to no tokens");
        }
        if (ids.length > maxTokens) {
          // keep the end: with a chat template that is where the generation prompt is
          ids = Arrays.copyOfRange(ids, ids.length - maxTokens, ids.length);
        }
        out.add(new Row(ids, label.asText()));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + ": no records");
    }
    return out;
  }

  private static long[] ids(SourceRecord rec, String where, String textKey, Tokenizer tok) {
    String key = textKey != null ? textKey : rec.value().has("text") ? "text" : null;
    if (key != null) {
      JsonNode t = rec.value().get(key);
      if (t == null || !t.isTextual()) {
        throw new IllegalArgumentException(where + ": field \"" + key + "\" must be a string");
      }
      return tok.encode(t.asText(), true);
    }
    DataFormat format = DataFormat.autodetect(rec.value()).orElseThrow(() -> new IllegalArgumentException(where
        + ": no \"text\" field and not a conversation (alpaca, sharegpt, messages); use --text-key"));
    Example ex = ExampleParser.of(format).parse(rec);
    if (!(ex instanceof Conversation c)) {
      throw new IllegalArgumentException(where + ": not a conversation");
    }
    ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
        where + ": a conversation needs the tokenizer's chat_template; use --text-key for plain text"));
    int end = c.turns().size();
    while (end > 0 && c.turns().get(end - 1).role() == Role.ASSISTANT) {
      end--;
    }
    List<ChatMessage> messages = new ArrayList<>();
    if (c.system() != null) {
      messages.add(new ChatMessage("system", c.system()));
    }
    for (Turn t : c.turns().subList(0, end)) {
      messages.add(new ChatMessage(t.role().name().toLowerCase(Locale.ROOT), t.content()));
    }
    if (messages.isEmpty()) {
      throw new IllegalArgumentException(where + ": the conversation has no turn before its answer");
    }
    return tok.encode(template.render(messages, true), false);
  }
}
