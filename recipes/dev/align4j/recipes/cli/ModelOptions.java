package dev.align4j.recipes.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by commands that load a model. */
public final class ModelOptions {
  @Option(names = "--model", required = true, description = "Hugging Face checkpoint directory")
  Path model;

  @Option(names = "--device", description = "cpu, gpu or gpuN (default: the first GPU when DJL sees one, else the CPU)")
  String device;

  @Option(names = "--precision", defaultValue = "float32", description = "float32 or bfloat16 (default: ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--attention", defaultValue = "COMPOSED", description = "COMPOSED or FUSED (default: ${DEFAULT-VALUE})")
  AttentionImpl attention;

  /** The chosen device, logged once. */
  Device device() {
    Device d = DeviceOption.parse(device);
    System.err.println("align4j: " + Torch.describe(d));
    return d;
  }

  /** The checkpoint's tokenizer, checked against the model's vocabulary. */
  Tokenizer tokenizerFor(PretrainedModel pm) throws IOException {
    Tokenizer tok = Tokenizer.load(model);
    try {
      pm.model().config().requireVocabCovers(tok.vocabSize(), model);
      return tok;
    } catch (RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  /** Loads the model onto a manager of the chosen device. */
  PretrainedModel load(NDManager manager) throws IOException {
    if (!Files.isDirectory(model)) {
      throw new IllegalArgumentException("--model " + model + ": not a directory");
    }
    return ModelLoader.load(model, Precision.parse(precision), attention, manager);
  }
}
