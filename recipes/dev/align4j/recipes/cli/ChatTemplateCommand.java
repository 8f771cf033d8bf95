package dev.align4j.recipes.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.tokenizer.AssistantMasker;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.ChatTemplateException;
import dev.align4j.peft.tokenizer.TokenizedChat;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j chat-template} (hidden utility): renders many conversations in one JVM, for the interop
 * checks against transformers' {@code apply_chat_template}.
 *
 * <p>Each JSONL line is a request {@code {"messages": [...], "add_generation_prompt": false, "tools": null,
 * "documents": null, "kwargs": {...}, "template": "FILE.jinja", "tokenizer": "DIR", "special_tokens": {...},
 * "assistant_mask": false}}; {@code template}, {@code tokenizer} default to {@code --template},
 * {@code --model}. Special tokens come from the tokenizer, overridden by {@code special_tokens}; the
 * template from the file, else the tokenizer's. Each line prints {@code {"text": ...}} (with
 * {@code assistant_mask}: also {@code "input_ids"} and {@code "assistant_masks"} from
 * {@link AssistantMasker}), or {@code {"error": ...}} when the template raises or fails.
 */
@Command(name = "chat-template", hidden = true,
    description = "Render conversations (JSONL requests) through chat templates; one result line each.")
public final class ChatTemplateCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };
  private static final TypeReference<List<Map<String, Object>>> MESSAGES = new TypeReference<>() { };

  @Option(names = "--input", required = true, description = "JSONL file of render requests")
  Path input;

  @Option(names = "--template", description = "default Jinja template file")
  Path template;

  @Option(names = "--model", description = "default tokenizer directory (special tokens, template, masks)")
  Path model;

  @Option(names = "--date", defaultValue = "2026-01-15T10:30:00",
      description = "what strftime_now sees, ISO local date-time (default: ${DEFAULT-VALUE})")
  LocalDateTime date;

  private final Map<Path, Tokenizer> tokenizers = new HashMap<>();
  private final Map<Path, String> sources = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    Clock clock = Clock.fixed(date.toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (!line.isBlank()) {
          out.println(JSON.writeValueAsString(answer(line, input + ":" + lineNo, clock)));
        }
      }
    } finally {
      tokenizers.values().forEach(Tokenizer::close);
    }
    return 0;
  }

  private ObjectNode answer(String line, String where, Clock clock) throws IOException {
    JsonNode req;
    try {
      req = JSON.readTree(line);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage());
    }
    if (req == null || !req.path("messages").isArray()) {
      throw new IllegalArgumentException(where + ": field \"messages\" must be a list");
    }
    Path tokDir = req.hasNonNull("tokenizer") ? Path.of(req.get("tokenizer").asText()) : model;
    Tokenizer tok = tokDir == null ? null : tokenizer(tokDir);
    Map<String, String> special = new LinkedHashMap<>(tok == null ? Map.of() : tok.specialTokens());
    req.path("special_tokens").fields().forEachRemaining(e -> special.put(e.getKey(), e.getValue().asText()));
    Path file = req.hasNonNull("template") ? Path.of(req.get("template").asText()) : template;
    String source;
    if (file != null) {
      source = source(file);
    } else if (tok != null && tok.chatTemplate().isPresent()) {
      source = tok.chatTemplate().get().source();
    } else {
      throw new IllegalArgumentException(where + ": no template (give \"template\", --template or a tokenizer with one)");
    }
    ChatTemplate chat = ChatTemplate.of(source, special, clock);
    List<Map<String, Object>> messages = JSON.convertValue(req.get("messages"), MESSAGES);
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("tools", JSON.convertValue(req.get("tools"), Object.class));
    vars.put("documents", JSON.convertValue(req.get("documents"), Object.class));
    if (req.path("kwargs").isObject()) {
      vars.putAll(JSON.convertValue(req.get("kwargs"), MAP));
    }
    boolean addGenerationPrompt = req.path("add_generation_prompt").asBoolean(false);
    ObjectNode row = JSON.createObjectNode();
    try {
      if (req.path("assistant_mask").asBoolean(false)) {
        if (tok == null) {
          throw new IllegalArgumentException(where + ": assistant_mask needs a tokenizer");
        }
        TokenizedChat tc = new AssistantMasker(tok, chat).tokenizeMessages(messages, vars);
        row.put("text", chat.renderMessages(messages, false, vars));
        ArrayNode ids = row.putArray("input_ids");
        ArrayNode mask = row.putArray("assistant_masks");
        for (int t = 0; t < tc.length(); t++) {
          ids.add(tc.ids()[t]);
          mask.add(tc.assistantMask()[t] ? 1 : 0);
        }
      } else {
        row.put("text", chat.renderMessages(messages, addGenerationPrompt, vars));
      }
    } catch (ChatTemplateException e) {
      row.put("error", e.getMessage());
    }
    return row;
  }

  private Tokenizer tokenizer(Path dir) throws IOException {
    Tokenizer t = tokenizers.get(dir);
    if (t == null) {
      t = Tokenizer.load(dir);
      tokenizers.put(dir, t);
    }
    return t;
  }

  private String source(Path file) throws IOException {
    String s = sources.get(file);
    if (s == null) {
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString(), null, "template: no such file");
      }
      s = Files.readString(file, StandardCharsets.UTF_8);
      sources.put(file, s);
    }
    return s;
  }
}
