package dev.align4j.recipes.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.PeftAdapters;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code generate --input F.jsonl}: one request per line, each answered under the adapter it names,
 * with the base model loaded once. A line is {@code {"prompt": TEXT}} (raw continuation) or
 * {@code {"messages": [{"role", "content"}, ...]}} (through the chat template, generation prompt on),
 * with an optional {@code "adapter"}: a name given with {@code --adapter NAME=DIR}, {@code null} for
 * the base model (every adapter off), absent for the default (the {@code --active-adapter}, else the
 * first). An optional {@code "id"} is echoed. Prints one {@code {"id"?, "adapter", "completion"}}
 * line per request.
 */
final class GenerateRequests {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GenerateRequests() {}

  static void run(Path input, Generator gen, GenerationConfig cfg, Tokenizer tok, PeftAdapters.Applied applied,
      Set<String> names, String defaultName, PrintStream out) throws IOException {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    try (BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String where = input + ":" + lineNo;
        JsonNode req;
        try {
          req = JSON.readTree(line);
        } catch (IOException e) {
          throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage());
        }
        if (req == null || !req.isObject()) {
          throw new IllegalArgumentException(where + ": expected a JSON object");
        }
        JsonNode a = req.get("adapter");
        String adapter;
        if (a == null) {
          adapter = defaultName;
        } else if (a.isNull()) {
          adapter = null;
        } else if (a.isTextual() && names.contains(a.asText())) {
          adapter = a.asText();
        } else {
          throw new IllegalArgumentException(where + ": field \"adapter\" must be one of " + names
              + " (--adapter NAME=DIR) or null for the base model, got " + a);
        }
        long[] ids = ids(req, tok, where);
        Completion c;
        try (AdapterScope s = scope(applied, adapter)) {
          c = gen.generate(List.of(ids), cfg, null).get(0);
        }
        ObjectNode row = JSON.createObjectNode();
        if (req.has("id")) {
          row.set("id", req.get("id"));
        }
        row.put("adapter", adapter);
        row.put("completion", tok.decode(c.tokens(), true));
        out.println(JSON.writeValueAsString(row));
      }
    }
  }

  /** The scope a request runs in: one named adapter, or every adapter off; null when no adapter was given. */
  private static AdapterScope scope(PeftAdapters.Applied applied, String adapter) {
    if (applied == null) {
      return null;
    }
    if (adapter == null) {
      return applied.state().disabled();
    }
    // a non-LoRA adapter is alone and active already
    return applied.lora() != null ? applied.lora().use(adapter) : null;
  }

  private static long[] ids(JsonNode req, Tokenizer tok, String where) {
    JsonNode p = req.get("prompt");
    JsonNode msgs = req.get("messages");
    if ((p == null) == (msgs == null)) {
      throw new IllegalArgumentException(where + ": give exactly one of \"prompt\" (text) and \"messages\" (chat)");
    }
    if (p != null) {
      if (!p.isTextual()) {
        throw new IllegalArgumentException(where + ": field \"prompt\" must be a string");
      }
      return tok.encode(p.asText(), true);
    }
    if (!msgs.isArray() || msgs.isEmpty()) {
      throw new IllegalArgumentException(where + ": field \"messages\" must be a non-empty array");
    }
    List<ChatMessage> chat = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) {
      JsonNode m = msgs.get(i);
      if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
        throw new IllegalArgumentException(where + ": messages[" + i + "] needs string \"role\" and \"content\"");
      }
      chat.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
        where + ": \"messages\" needs the tokenizer's chat_template; use \"prompt\""));
    return tok.encode(template.render(chat, true), false);
  }
}
