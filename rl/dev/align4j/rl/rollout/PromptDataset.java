package dev.align4j.rl.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prompts of an RL dataset (JSONL or a JSON array), in TRL's prompt-only layout or as SFT data:
 * <ul>
 *   <li>{@code {"prompt": "text", ...}}: the text as it is (no template);
 *   <li>{@code {"prompt": [{"role": "user", "content": ...}, ...], ...}}: rendered by the chat template
 *       with the generation prompt;
 *   <li>anything the SFT formats read (alpaca, sharegpt, OpenAI messages): the conversation without its
 *       final assistant turn is the prompt, and that turn's text becomes the field {@code reference}.
 * </ul>
 * Every other top-level field is kept (as text) for reward functions. Errors name {@code file:line}.
 */
public final class PromptDataset {
  /** The field holding the final assistant turn of SFT-style records. */
  public static final String REFERENCE = "reference";

  private PromptDataset() {}

  /**
   * Reads and tokenises the prompts.
   *
   * @param template the chat template (null: only plain-text prompts are accepted)
   */
  public static List<RlPrompt> read(Path file, Tokenizer tok, ChatTemplate template) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "prompt dataset not found");
    }
    List<RlPrompt> out = new ArrayList<>();
    ExampleParser parser = null;
    try (JsonRecords records = JsonRecords.open(file)) {
      while (records.hasNext()) {
        SourceRecord rec = records.next();
        String where = file + ":" + rec.line();
        ObjectNode v = rec.value();
        Map<String, String> fields = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getKey().equals("prompt")) {
            fields.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
          }
        }
        String text;
        if (v.has("prompt")) {
          JsonNode p = v.get("prompt");
          if (p.isTextual()) {
            text = p.asText();
          } else if (p.isArray()) {
            text = render(messages(p, where), template, where);
          } else {
            throw new IllegalArgumentException(where + ": prompt must be a string or a list of messages");
          }
        } else {
          if (parser == null) {
            parser = ExampleParser.of(DataFormat.autodetect(v).orElseThrow(() -> new IllegalArgumentException(
                where + ": no prompt field and not a known SFT format (alpaca, sharegpt, openai)")));
          }
          Example ex = parser.parse(rec);
          if (!(ex instanceof Conversation c)) {
            throw new IllegalArgumentException(where + ": expected a conversation");
          }
          List<Turn> turns = new ArrayList<>(c.turns());
          if (!turns.isEmpty() && turns.get(turns.size() - 1).role() == Role.ASSISTANT) {
            fields.put(REFERENCE, turns.remove(turns.size() - 1).content());
          }
          if (turns.isEmpty()) {
            throw new IllegalArgumentException(where + ": the conversation has no prompt turn");
          }
          List<ChatMessage> msgs = new ArrayList<>();
          if (c.system() != null && !c.system().isEmpty()) {
            msgs.add(ChatMessage.system(c.system()));
          }
          for (Turn t : turns) {
            msgs.add(new ChatMessage(t.role().name().toLowerCase(Locale.ROOT), t.content()));
          }
          text = render(msgs, template, where);
        }
        long[] ids = tok.encode(text, false);
        if (ids.length == 0) {
          throw new IllegalArgumentException(where + ": the prompt is empty");
        }
        out.add(new RlPrompt(ids, text, fields));
      }
    }
    return out;
  }

  private static List<ChatMessage> messages(JsonNode arr, String where) {
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : arr) {
      if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
        throw new IllegalArgumentException(where + ": each prompt message needs string role and content");
      }
      out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(where + ": empty prompt message list");
    }
    return out;
  }

  private static String render(List<ChatMessage> msgs, ChatTemplate template, String where) {
    if (template == null) {
      throw new IllegalArgumentException(where + ": a conversational prompt needs a chat template, and the tokenizer"
          + " has none; set `template` in the recipe or give {\"prompt\": \"text\"}");
    }
    return template.render(msgs, true);
  }
}
