package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.reward.RewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options of the commands that load a reward model ({@code score}, {@code eval-rm}). */
public final class RmModelOptions {
  @Option(names = "--model", required = true, description = "a reward model (transformers *ForSequenceClassification "
      + "folder), or the base of --adapter")
  Path model;

  @Option(names = "--adapter", description = "a PEFT SEQ_CLS LoRA adapter (score in modules_to_save) on --model")
  Path adapter;

  @Option(names = "--precision", defaultValue = "float32", description = "float32 or bfloat16 (default: ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--attention", defaultValue = "COMPOSED", description = "COMPOSED or FUSED (default: ${DEFAULT-VALUE})")
  AttentionImpl attention;

  @Option(names = "--batch-size", defaultValue = "8", description = "sequences per forward (default: ${DEFAULT-VALUE})")
  int batchSize;

  /** Loads the reward model onto {@code m}. */
  RewardModel load(NDManager m) throws IOException {
    if (!Files.isDirectory(model)) {
      throw new IllegalArgumentException("--model " + model + ": not a directory");
    }
    if (adapter != null && !Files.isDirectory(adapter)) {
      throw new IllegalArgumentException("--adapter " + adapter + ": not a directory");
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("--batch-size must be > 0, got " + batchSize);
    }
    return RewardModel.load(model, adapter, Precision.parse(precision), attention, m);
  }
}
