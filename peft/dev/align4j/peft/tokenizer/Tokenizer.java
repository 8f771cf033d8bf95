package dev.align4j.peft.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A Hugging Face tokenizer: {@code tokenizer.json} run by DJL's native tokenizers library, with the
 * special tokens of {@code tokenizer_config.json} and {@code generation_config.json} and the chat
 * template of {@code tokenizer_config.json}.
 */
public final class Tokenizer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer hf;
  private final Map<String, Long> vocab;
  private final int vocabSize;
  private final OptionalLong bos;
  private final long[] eos;
  private final OptionalLong pad;
  private final Map<String, String> specialTokens;
  private final String chatTemplate;

  private Tokenizer(HuggingFaceTokenizer hf, Map<String, Long> vocab, int vocabSize, OptionalLong bos,
      long[] eos, OptionalLong pad, Map<String, String> specialTokens, String chatTemplate) {
    this.hf = hf;
    this.vocab = vocab;
    this.vocabSize = vocabSize;
    this.bos = bos;
    this.eos = eos;
    this.pad = pad;
    this.specialTokens = specialTokens;
    this.chatTemplate = chatTemplate;
  }

  /** Loads the tokenizer files of a model directory. */
  public static Tokenizer load(Path dir) throws IOException {
    Path tj = dir.resolve("tokenizer.json");
    if (!Files.exists(tj)) {
      throw new NoSuchFileException(tj.toString(), null, "no tokenizer.json");
    }
    JsonNode tokJson = read(tj);
    Map<String, Long> vocab = new HashMap<>();
    long maxId = -1;
    JsonNode v = tokJson.path("model").path("vocab");
    if (v.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        vocab.put(e.getKey(), e.getValue().asLong());
        maxId = Math.max(maxId, e.getValue().asLong());
      }
    } else if (v.isArray()) {   // Unigram: [[piece, score], ...]
      for (int i = 0; i < v.size(); i++) {
        vocab.put(v.get(i).get(0).asText(), (long) i);
      }
      maxId = v.size() - 1;
    }
    for (JsonNode t : tokJson.path("added_tokens")) {
      vocab.put(t.path("content").asText(), t.path("id").asLong());
      maxId = Math.max(maxId, t.path("id").asLong());
    }
    Path tcPath = dir.resolve("tokenizer_config.json");
    JsonNode tc = Files.exists(tcPath) ? read(tcPath) : JSON.createObjectNode();
    Path gcPath = dir.resolve("generation_config.json");
    JsonNode gc = Files.exists(gcPath) ? read(gcPath) : JSON.createObjectNode();

    LinkedHashMap<String, String> special = new LinkedHashMap<>();
    for (String key : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
      String s = tokenText(tc.get(key));
      if (s != null) {
        special.put(key, s);
      }
    }
    OptionalLong bos = idOf(gc, "bos_token_id", special.get("bos_token"), vocab);
    OptionalLong pad = idOf(gc, "pad_token_id", special.get("pad_token"), vocab);
    LinkedHashSet<Long> eos = new LinkedHashSet<>();
    JsonNode ge = gc.get("eos_token_id");
    if (ge != null && ge.isArray()) {
      ge.forEach(n -> eos.add(n.asLong()));
    } else if (ge != null && ge.isIntegralNumber()) {
      eos.add(ge.asLong());
    }
    String eosText = special.get("eos_token");
    if (eosText != null && vocab.containsKey(eosText)) {
      eos.add(vocab.get(eosText));
    }
    String template = null;
    JsonNode ct = tc.get("chat_template");
    if (ct != null && ct.isTextual()) {
      template = ct.asText();
    } else if (ct != null && ct.isArray()) {
      for (JsonNode t : ct) {
        if ("default".equals(t.path("name").asText())) {
          template = t.path("template").asText();
        }
      }
    }
    if (template == null && Files.exists(dir.resolve("chat_template.jinja"))) {
      template = Files.readString(dir.resolve("chat_template.jinja"));
    }
    Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.newInstance(tj, options);
    } catch (RuntimeException e) {
      throw new IOException(tj + ": cannot be loaded by the tokenizers library: " + e.getMessage(), e);
    }
    return new Tokenizer(hf, vocab, (int) (maxId + 1), bos, eos.stream().mapToLong(Long::longValue).toArray(),
        pad, Collections.unmodifiableMap(special), template);
  }

  private static JsonNode read(Path p) throws IOException {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new IOException(p + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  private static String tokenText(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    return n.isTextual() ? n.asText() : n.path("content").isTextual() ? n.path("content").asText() : null;
  }

  private static OptionalLong idOf(JsonNode gc, String field, String text, Map<String, Long> vocab) {
    JsonNode n = gc.get(field);
    if (n != null && n.isIntegralNumber()) {
      return OptionalLong.of(n.asLong());
    }
    if (text != null && vocab.containsKey(text)) {
      return OptionalLong.of(vocab.get(text));
    }
    return OptionalLong.empty();
  }

  /**
   * Token ids of {@code text}. With {@code addSpecialTokens} the tokenizer's post-processor adds what
   * {@code tokenizer(text)} would (Llama 3's {@code <|begin_of_text|>}); text rendered by a chat
   * template already holds its special tokens and must be encoded without.
   */
  public long[] encode(String text, boolean addSpecialTokens) {
    return hf.encode(text, addSpecialTokens, false).getIds();
  }

  /** The full encoding, with character offsets of each token. */
  public Encoding encoding(String text, boolean addSpecialTokens) {
    return hf.encode(text, addSpecialTokens, false);
  }

  /** Text of token ids. */
  public String decode(long[] ids, boolean skipSpecialTokens) {
    return hf.decode(ids, skipSpecialTokens);
  }

  /** Number of ids (largest id + 1, added tokens included). */
  public int vocabSize() {
    return vocabSize;
  }

  /** The BOS id, if any. */
  public OptionalLong bosId() {
    return bos;
  }

  /** Every id that ends generation. */
  public long[] eosIds() {
    return eos.clone();
  }

  /** The pad id, if any. */
  public OptionalLong padId() {
    return pad;
  }

  /** The id of a token string (vocabulary or added token). */
  public OptionalLong tokenId(String token) {
    Long id = vocab.get(token);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** bos/eos/pad/unk token strings of tokenizer_config.json. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /** The Jinja source of the chat template, if the tokenizer has one. */
  public Optional<String> chatTemplateSource() {
    return Optional.ofNullable(chatTemplate);
  }

  /** The chat template, ready to render, if the tokenizer has one. */
  public Optional<ChatTemplate> chatTemplate() {
    return chatTemplateSource().map(src -> new ChatTemplate(src, specialTokens));
  }

  @Override
  public void close() {
    hf.close();
  }
}
