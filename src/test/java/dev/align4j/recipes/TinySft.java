package dev.align4j.recipes;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.sft.demo.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The smallest SFT set-up of the CLI tests: two alpaca records of the incident task ({@code
 * train.jsonl}) and a random tiny Qwen3 model ({@code m/}: hidden 32, 4 heads, 2 KV heads) whose
 * character tokenizer covers them.
 *
 * @param model the checkpoint folder
 * @param data the JSONL records
 */
public record TinySft(Path model, Path data) {
  /** One record; the second is it with 300 failures and a high risk level. */
  public static final String RECORD =
      "{\"instruction\": \"分析告警\", \"input\": \"登录失败 30 次\", \"output\": \"事件类型：暴力破解；风险等级：中\"}";

  /** The two records as JSONL. */
  public static String records() {
    return RECORD + "\n" + RECORD.replace("30", "300").replace("中", "高") + "\n";
  }

  /** Writes {@code dir/train.jsonl} and {@code dir/m/} with {@code layers} decoder layers. */
  public static TinySft write(Path dir, int layers) throws IOException {
    Path data = dir.resolve("train.jsonl");
    Files.writeString(data, records());
    return new TinySft(model(dir.resolve("m"), layers, List.of(records())), data);
  }

  /** A random tiny Qwen3 model in {@code dir} whose character tokenizer covers {@code corpus}. */
  public static Path model(Path dir, int layers, List<String> corpus) throws IOException {
    int vocab = CharTokenizer.write(dir, corpus);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(dir, new ModelConfig(ModelFamily.QWEN3, vocab, 32, 64, layers, 4, 2, 8, 1e-6, 1e4, null, 256,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
    return dir;
  }
}
