package dev.align4j.recipes.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.recipes.cli.TinyCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** The inputs of {@code align4j bench rl}: a random model at the SmolLM2-135M shape and a prompt file. */
final class RlModels {
  private RlModels() {}

  /**
   * Writes {@code dir} with {@code align4j tiny --family llama --hidden 576 --intermediate 1536 --layers 30
   * --heads 9 --kv-heads 3 --tie} and the Qwen3 tokenizer (193.6M parameters, vocabulary 151,669) when it
   * holds no model, and {@code prompts} (64 plain-text alert prompts, 30-40 tokens) when absent.
   */
  static void ensure(Path dir, Path prompts) throws IOException {
    if (!Files.exists(dir.resolve("config.json"))) {
      Path tok = Path.of("recipes/assets/tokenizers/qwen3");
      if (!Files.isDirectory(tok)) {
        throw new IllegalArgumentException(tok + " not found (run from the repository root, or pass --model-dir)");
      }
      System.err.println("bench rl: writing " + dir + " (align4j tiny at the SmolLM2-135M shape, Qwen3 tokenizer)");
      int rc = new CommandLine(new TinyCommand()).execute("--family", "llama", "--hidden", "576", "--intermediate", "1536",
          "--layers", "30", "--heads", "9", "--kv-heads", "3", "--tie", "--tokenizer", tok.toString(), "--out",
          dir.toString());
      if (rc != 0) {
        throw new IllegalStateException("align4j tiny failed for " + dir + " (exit " + rc + ")");
      }
    }
    if (!Files.exists(prompts)) {
      ObjectMapper json = new ObjectMapper();
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < 64; i++) {
        String p = String.format("Alert %d: host srv-%d reported %d failed logins from 10.0.%d.%d within %d minutes. "
            + "Summarise the event and give its risk level:", i, i % 7, 3 + i % 11, i % 5, i % 13, 2 + i % 9);
        b.append(json.writeValueAsString(Map.of("prompt", p))).append('\n');
      }
      AtomicFiles.writeString(prompts, b.toString());
    }
  }
}
