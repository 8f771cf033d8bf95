package dev.align4j.recipes;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.sft.demo.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reward-model tests' set-up: eight preference pairs (a "good answer i" against "bad" or "no answer at all")
 * in {@code pairs.jsonl}, and a tiny Qwen2-shaped checkpoint (2 layers, hidden 64, seed 5) with a character
 * tokenizer over their text in {@code tiny/}.
 *
 * @param model the checkpoint folder
 * @param pairs the pairs file
 */
public record TinyPairs(Path model, Path pairs) {
  /** Writes both under {@code dir}. */
  public static TinyPairs write(Path dir) throws IOException {
    Path pairs = dir.resolve("pairs.jsonl");
    List<String> corpus = new ArrayList<>();
    StringBuilder sb = new StringBuilder();
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 8; i++) {
      String p = "q" + i + ": ";
      String c = "good answer " + i;
      String r = i % 2 == 0 ? "bad" : "no answer at all";
      corpus.addAll(List.of(p, c, r));
      sb.append(json.writeValueAsString(Map.of("prompt", p, "chosen", c, "rejected", r))).append('\n');
    }
    Files.writeString(pairs, sb.toString());
    Path model = dir.resolve("tiny");
    int vocab = CharTokenizer.write(model, corpus);
    ModelConfig cfg = new ModelConfig(ModelFamily.QWEN2, vocab, 64, 128, 2, 4, 2, 16, 1e-6, 10000.0, null, 128,
        false, false, "float32");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, cfg, 5, null, Optional.empty(), m);
    }
    return new TinyPairs(model, pairs);
  }
}
