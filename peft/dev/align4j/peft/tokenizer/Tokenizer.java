package dev.align4j.peft.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A Hugging Face tokenizer loaded from a model directory: {@code tokenizer.json} (run by DJL's native
 * tokenizers library), {@code tokenizer_config.json} (special tokens, chat template, add_bos_token)
 * and, when present, {@code generation_config.json} (stop ids).
 *
 * <p>{@link #encode} never adds special tokens unless asked: a rendered chat template already contains
 * BOS and the turn markers, so adding them again would double BOS. Closing releases the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {

  static final String TOKENIZER_JSON = "tokenizer.json";
  static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  static final String GENERATION_CONFIG = "generation_config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer hf;
  private final Map<String, Long> vocab;
  private final int vocabSize;
  private final OptionalLong bosId;
  private final long[] eosIds;
  private final OptionalLong padId;
  private final Map<String, String> specialTokens;
  private final ChatTemplate chatTemplate;
  private final boolean addBosToken;

  private Tokenizer(HuggingFaceTokenizer hf, Map<String, Long> vocab, int vocabSize, OptionalLong bosId,
      long[] eosIds, OptionalLong padId, Map<String, String> specialTokens, ChatTemplate chatTemplate,
      boolean addBosToken) {
    this.hf = hf;
    this.vocab = vocab;
    this.vocabSize = vocabSize;
    this.bosId = bosId;
    this.eosIds = eosIds;
    this.padId = padId;
    this.specialTokens = specialTokens;
    this.chatTemplate = chatTemplate;
    this.addBosToken = addBosToken;
  }

  /**
   * Loads the tokenizer in {@code dir}.
   *
   * @throws IOException if {@code tokenizer.json} is missing or a file cannot be read or parsed; the
   *     message names the file
   */
  public static Tokenizer load(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path tokJson = dir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(tokJson)) {
      throw new IOException(tokJson + ": not found (a tokenizer directory needs tokenizer.json)");
    }
    Map<String, Long> vocab = readVocab(tokJson);
    int vocabSize = vocab.values().stream().mapToInt(Long::intValue).max().orElse(-1) + 1;

    JsonNode config = readOptional(dir.resolve(TOKENIZER_CONFIG));
    JsonNode generation = readOptional(dir.resolve(GENERATION_CONFIG));
    Map<String, String> specialTokens = new LinkedHashMap<>();
    for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
      String content = tokenContent(config.get(key), dir.resolve(TOKENIZER_CONFIG), key);
      if (content != null) {
        specialTokens.put(key, content);
      }
    }

    OptionalLong bos = idOf(vocab, specialTokens.get("bos_token"), dir.resolve(TOKENIZER_CONFIG), "bos_token");
    if (bos.isEmpty()) {
      bos = intField(generation, "bos_token_id", dir.resolve(GENERATION_CONFIG));
    }
    OptionalLong pad = idOf(vocab, specialTokens.get("pad_token"), dir.resolve(TOKENIZER_CONFIG), "pad_token");
    if (pad.isEmpty()) {
      pad = intField(generation, "pad_token_id", dir.resolve(GENERATION_CONFIG));
    }
    // generation_config's stop ids first (what generate() uses), then the tokenizer's eos_token.
    Set<Long> eos = new LinkedHashSet<>();
    JsonNode genEos = generation.get("eos_token_id");
    if (genEos != null && !genEos.isNull()) {
      for (JsonNode n : genEos.isArray() ? genEos : List.of(genEos)) {
        if (!n.canConvertToLong()) {
          throw new IOException(dir.resolve(GENERATION_CONFIG) + ": eos_token_id must be an int or a list"
              + " of ints, got " + genEos);
        }
        eos.add(n.asLong());
      }
    }
    idOf(vocab, specialTokens.get("eos_token"), dir.resolve(TOKENIZER_CONFIG), "eos_token").ifPresent(eos::add);

    ChatTemplate template = readChatTemplate(dir, config, specialTokens);

    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "false");
    options.put("truncation", "false");
    options.put("padding", "false");
    options.put("modelMaxLength", Integer.toString(Integer.MAX_VALUE));
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.newInstance(tokJson, options);
    } catch (IOException | RuntimeException e) {
      throw new IOException(tokJson + ": DJL/HF tokenizers could not load it: " + e.getMessage(), e);
    }
    boolean addBos;
    JsonNode addBosNode = config.get("add_bos_token");
    if (addBosNode != null && addBosNode.isBoolean()) {
      addBos = addBosNode.asBoolean();
    } else {
      long[] probe = hf.encode("a", true, false).getIds();
      addBos = bos.isPresent() && probe.length > 0 && probe[0] == bos.getAsLong();
    }
    return new Tokenizer(hf, Map.copyOf(vocab), vocabSize, bos, eos.stream().mapToLong(Long::longValue).toArray(),
        pad, Map.copyOf(specialTokens), template, addBos);
  }

  /**
   * Token ids of {@code text}.
   *
   * @param addSpecialTokens run tokenizer.json's post-processor (e.g. Llama 3 prepends
   *     {@code <|begin_of_text|>}, Qwen adds nothing) and, like transformers' Llama-style fast
   *     tokenizers, prepend BOS when tokenizer_config says {@code add_bos_token: true} but the
   *     post-processor did not (DeepSeek-V3); false for rendered chat templates
   */
  public long[] encode(String text, boolean addSpecialTokens) {
    long[] ids = encoding(text, addSpecialTokens).getIds();
    if (addSpecialTokens && addBosToken && bosId.isPresent()
        && (ids.length == 0 || ids[0] != bosId.getAsLong())) {
      long[] withBos = new long[ids.length + 1];
      withBos[0] = bosId.getAsLong();
      System.arraycopy(ids, 0, withBos, 1, ids.length);
      return withBos;
    }
    return ids;
  }

  /** The full DJL encoding (ids, tokens, character spans). */
  Encoding encoding(String text, boolean addSpecialTokens) {
    Objects.requireNonNull(text, "text");
    return hf.encode(text, addSpecialTokens, false);
  }

  /** Text of {@code ids}; with {@code skipSpecialTokens} special/added special tokens are dropped. */
  public String decode(long[] ids, boolean skipSpecialTokens) {
    for (long id : ids) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException("token id " + id + " out of range [0, " + vocabSize + ")");
      }
    }
    return hf.decode(ids, skipSpecialTokens);
  }

  /** Number of token ids, added tokens included (largest id + 1, like {@code len(tokenizer)}). */
  public int vocabSize() {
    return vocabSize;
  }

  /** Id of the BOS token (tokenizer_config bos_token, else generation_config bos_token_id). */
  public OptionalLong bosId() {
    return bosId;
  }

  /** All stop ids: generation_config eos_token_id (int or list) then tokenizer_config eos_token. */
  public long[] eosIds() {
    return eosIds.clone();
  }

  /** Id of the padding token (tokenizer_config pad_token, else generation_config pad_token_id). */
  public OptionalLong padId() {
    return padId;
  }

  /** Whether the model expects BOS at the start (tokenizer_config add_bos_token, else the post-processor). */
  public boolean addBosToken() {
    return addBosToken;
  }

  /** The special tokens as template variables: bos_token, eos_token, unk_token, pad_token when set. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /** The model's chat template (tokenizer_config chat_template, "default" entry of a list). */
  public Optional<ChatTemplate> chatTemplate() {
    return Optional.ofNullable(chatTemplate);
  }

  /**
   * Id of a token string as it appears in tokenizer.json (added tokens such as {@code <|im_end|>}, or a
   * raw vocabulary entry such as {@code "Ġthe"} for byte-level BPE).
   */
  public OptionalLong tokenId(String token) {
    Long id = vocab.get(token);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  @Override
  public void close() {
    hf.close();
  }

  private static JsonNode readOptional(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode node = JSON.readTree(file.toFile());
      if (node == null || !node.isObject()) {
        throw new IOException(file + ": expected a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
          : new IOException(file + ": cannot parse: " + e.getMessage(), e);
    }
  }

  /** A special token given as a string or as an AddedToken object {"content": ...}. */
  private static String tokenContent(JsonNode node, Path file, String field) throws IOException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return node.get("content").asText();
    }
    throw new IOException(file + ": " + field + " must be a string or an object with \"content\", got " + node);
  }

  private static OptionalLong idOf(Map<String, Long> vocab, String token, Path file, String field)
      throws IOException {
    if (token == null) {
      return OptionalLong.empty();
    }
    Long id = vocab.get(token);
    if (id == null) {
      throw new IOException(file + ": " + field + " '" + token + "' is not in tokenizer.json's vocabulary");
    }
    return OptionalLong.of(id);
  }

  private static OptionalLong intField(JsonNode node, String field, Path file) throws IOException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return OptionalLong.empty();
    }
    if (v.isArray() && v.size() > 0 && v.get(0).canConvertToLong()) {
      return OptionalLong.of(v.get(0).asLong());
    }
    if (!v.canConvertToLong()) {
      throw new IOException(file + ": " + field + " must be an int, got " + v);
    }
    return OptionalLong.of(v.asLong());
  }

  private static ChatTemplate readChatTemplate(Path dir, JsonNode config, Map<String, String> tokens)
      throws IOException {
    Path cfgFile = dir.resolve(TOKENIZER_CONFIG);
    JsonNode t = config.get("chat_template");
    String source = null;
    if (t != null && t.isTextual()) {
      source = t.asText();
    } else if (t != null && t.isArray()) {
      for (JsonNode entry : t) {
        if ("default".equals(entry.path("name").asText()) && entry.path("template").isTextual()) {
          source = entry.get("template").asText();
        }
      }
      if (source == null) {
        throw new IOException(cfgFile + ": chat_template is a list without a \"default\" entry");
      }
    } else if (t != null && !t.isNull()) {
      throw new IOException(cfgFile + ": chat_template must be a string or a list of {name, template}");
    }
    if (source == null && Files.isRegularFile(dir.resolve("chat_template.jinja"))) {
      source = Files.readString(dir.resolve("chat_template.jinja"));
    }
    if (source == null && Files.isRegularFile(dir.resolve("chat_template.json"))) {
      JsonNode j = readOptional(dir.resolve("chat_template.json")).path("chat_template");
      source = j.isTextual() ? j.asText() : null;
    }
    return source == null ? null : ChatTemplate.of(source, tokens);
  }

  /**
   * Token string to id from tokenizer.json's {@code model.vocab} (BPE/WordPiece map or Unigram list)
   * and {@code added_tokens}, streamed so the large {@code merges} list is skipped, not built.
   */
  static Map<String, Long> readVocab(Path file) throws IOException {
    Map<String, Long> vocab = new HashMap<>();
    boolean sawModelVocab = false;
    try (InputStream in = Files.newInputStream(file); JsonParser p = new JsonFactory().createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException(file + ": expected a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if (name.equals("added_tokens")) {
          JsonNode arr = JSON.readTree(p);
          for (JsonNode t : arr) {
            vocab.put(t.path("content").asText(), t.path("id").asLong());
          }
        } else if (name.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken tok = p.nextToken();
            if (field.equals("vocab") && tok == JsonToken.START_OBJECT) {
              sawModelVocab = true;
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                vocab.putIfAbsent(key, p.getLongValue());
              }
            } else if (field.equals("vocab") && tok == JsonToken.START_ARRAY) {
              sawModelVocab = true;
              long id = 0;
              while (p.nextToken() == JsonToken.START_ARRAY) {
                p.nextToken();
                vocab.putIfAbsent(p.getText(), id++);
                p.skipChildren();
                while (p.currentToken() != JsonToken.END_ARRAY) {
                  p.nextToken();
                }
              }
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
          : new IOException(file + ": cannot parse: " + e.getMessage(), e);
    }
    if (!sawModelVocab) {
      throw new IOException(file + ": no model.vocab found");
    }
    return vocab;
  }
}
