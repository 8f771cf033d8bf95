package dev.align4j.sft.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Writes a character-level tokenizer in Hugging Face's {@code tokenizer.json} format (WordLevel over
 * single characters, the ChatML special tokens, a ChatML chat template), so that the demo's tiny
 * model has a vocabulary of a few hundred entries instead of a real tokenizer's 150k and trains in
 * minutes on two cores. The files load in the tokenizers library like any other.
 */
public final class CharTokenizer {
  /** Special tokens, ids 0..3. */
  public static final List<String> SPECIAL = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>");

  /** The ChatML template (as Qwen2.5 uses, without tools). */
  public static final String CHATML = "{%- for message in messages %}"
      + "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
      + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

  private CharTokenizer() {}

  /** Writes tokenizer.json and tokenizer_config.json for every character of {@code corpus}. */
  public static int write(Path dir, Collection<String> corpus) throws IOException {
    TreeSet<Integer> chars = new TreeSet<>();
    for (String s : corpus) {
      s.codePoints().forEach(chars::add);
    }
    "\n ".codePoints().forEach(chars::add);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIAL.size(); i++) {
      ObjectNode t = added.addObject();
      t.put("id", i).put("content", SPECIAL.get(i)).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Split");
    pre.putObject("pattern").put("Regex", "[\\s\\S]");
    pre.put("behavior", "Isolated");
    pre.put("invert", false);
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "Fuse");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    int id = 0;
    for (String s : SPECIAL) {
      vocab.put(s, id++);
    }
    for (int cp : chars) {
      vocab.put(new String(Character.toChars(cp)), id++);
    }
    model.put("unk_token", "<unk>");
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(root));
    ObjectNode cfg = json.createObjectNode();
    cfg.put("eos_token", "<|im_end|>").put("pad_token", "<|endoftext|>").put("unk_token", "<unk>");
    cfg.put("chat_template", CHATML);
    cfg.put("model_max_length", 4096);
    AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
    return id;
  }
}
