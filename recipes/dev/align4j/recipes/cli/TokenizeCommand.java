package dev.align4j.recipes.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j tokenize} (hidden utility): for each JSONL line {@code {"text": ...}} prints
 * {@code {"ids": [...]}}, the ids {@link Tokenizer#encode} gives; the interop checks compare them with
 * transformers' {@code AutoTokenizer}.
 */
@Command(name = "tokenize", hidden = true,
    description = "Token ids of the texts in a JSONL file (one {\"text\": ...} per line).")
public final class TokenizeCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--model", required = true, description = "directory with tokenizer.json (and tokenizer_config.json)")
  Path model;

  @Option(names = "--input", required = true, description = "JSONL file, one {\"text\": ...} per line")
  Path input;

  @Option(names = "--no-special", description = "do not add special tokens (BOS, ...); default: add them as tokenizer(text) does")
  boolean noSpecial;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (Tokenizer tok = Tokenizer.load(model);
        BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (Exception e) {
          throw new IllegalArgumentException(input + ":" + lineNo + ": not valid JSON: " + e.getMessage());
        }
        JsonNode t = node == null ? null : node.get("text");
        if (t == null || !t.isTextual()) {
          throw new IllegalArgumentException(input + ":" + lineNo + ": field \"text\" must be a string");
        }
        ObjectNode row = JSON.createObjectNode();
        ArrayNode ids = row.putArray("ids");
        for (long id : tok.encode(t.asText(), !noSpecial)) {
          ids.add(id);
        }
        out.println(JSON.writeValueAsString(row));
      }
    }
    return 0;
  }
}
