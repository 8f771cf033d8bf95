package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.recipes.cli.AdapterOptions;
import dev.align4j.reward.RewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import picocli.CommandLine.Option;

/** Options of the commands that load a reward model ({@code score}, {@code eval-rm}). */
public final class RmModelOptions {
  @Option(names = "--model", required = true, description = "a reward model (transformers *ForSequenceClassification "
      + "folder), or the base of --adapter")
  Path model;

  @Option(names = "--adapter", paramLabel = "[NAME=]DIR", description = "a PEFT SEQ_CLS LoRA adapter (score in "
      + "modules_to_save) on --model; score: repeatable, each with an optional name (default: default, then adapter2, "
      + "...), and a causal-LM LoRA adapter scores by log-probability")
  List<String> adapters = new ArrayList<>();

  @Option(names = "--precision", defaultValue = "float32", description = "float32 or bfloat16 (default: ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--attention", defaultValue = "COMPOSED", description = "COMPOSED or FUSED (default: ${DEFAULT-VALUE})")
  AttentionImpl attention;

  @Option(names = "--batch-size", defaultValue = "8", description = "sequences per forward (default: ${DEFAULT-VALUE})")
  int batchSize;

  /** Loads the reward model onto {@code m}: {@code --model} alone, or with its one {@code --adapter}. */
  RewardModel load(NDManager m) throws IOException {
    check();
    LinkedHashMap<String, Path> byName = byName();
    if (byName.size() > 1) {
      throw new IllegalArgumentException("--adapter: this command takes one reward adapter, got " + byName.size());
    }
    Path adapter = byName.isEmpty() ? null : byName.values().iterator().next();
    return RewardModel.load(model, adapter, Precision.parse(precision), attention, m);
  }

  /** Checks {@code --model} and {@code --batch-size}. */
  void check() {
    if (!Files.isDirectory(model)) {
      throw new IllegalArgumentException("--model " + model + ": not a directory");
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("--batch-size must be > 0, got " + batchSize);
    }
  }

  /** The adapters by name, in order (as {@code generate --adapter}: unnamed ones are default, adapter2, ...). */
  LinkedHashMap<String, Path> byName() {
    return AdapterOptions.byName(adapters);
  }
}
