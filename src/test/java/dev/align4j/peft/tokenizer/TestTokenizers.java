package dev.align4j.peft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Locates the test tokenizers under src/test/resources/tokenizers (Qwen3: recipes/assets/tokenizers). */
final class TestTokenizers {

  private TestTokenizers() {
  }

  private static final Map<String, Tokenizer> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

  /** A shared loaded tokenizer (loading takes about 2 s; released when the test JVM exits). */
  static Tokenizer shared(String name) {
    return LOADED.computeIfAbsent(name, n -> {
      try {
        return Tokenizer.load(dir(n));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  static Path dir(String name) {
    if (name.equals("qwen3")) {
      return Path.of("recipes/assets/tokenizers/qwen3");   // shipped for the demo; one copy in the repo
    }
    try {
      return Path.of(TestTokenizers.class.getResource("/tokenizers/" + name + "/tokenizer.json").toURI())
          .getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The template from tokenizer_config.json, read without {@link Tokenizer} (no native library). */
  static ChatTemplate chatTemplate(String name) {
    try {
      JsonNode cfg = new ObjectMapper().readTree(dir(name).resolve("tokenizer_config.json").toFile());
      Map<String, String> tokens = new LinkedHashMap<>();
      for (String key : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
        JsonNode v = cfg.get(key);
        if (v != null && v.isObject()) {
          v = v.get("content");
        }
        if (v != null && v.isTextual()) {
          tokens.put(key, v.asText());
        }
      }
      return ChatTemplate.of(cfg.get("chat_template").asText(), tokens);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
