package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j merge}: fold a PEFT LoRA adapter into its base and save a plain HF checkpoint. */
@Command(name = "merge", description = "Merge a PEFT LoRA/DoRA adapter into its base model and save a Hugging Face checkpoint.")
public final class MergeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "base model directory") Path model;
  @Option(names = "--adapter", required = true, description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors)") Path adapter;
  @Option(names = "--out", required = true, description = "directory for the merged checkpoint") Path out;
  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    if (out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("--out must differ from --model: the base is never overwritten");
    }
    try (NDManager m = Torch.newManager(device.device()); PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, adapter, "default");
      peft.merge();
      // written beside --out and swapped in: an existing --out is never left half old, half new
      AtomicFiles.replaceDirectory(out, dir -> {
        ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), dir, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
        for (String f : TinyCheckpoint.TOKENIZER_FILES) {
          if (Files.exists(model.resolve(f))) {
            AtomicFiles.writeBytes(dir.resolve(f), Files.readAllBytes(model.resolve(f)));
          }
        }
      });
      System.out.printf("merged %s into %s (computed in float32, stored as %s) -> %s%n", adapter, model,
          pm.configJson().path("torch_dtype").asText("float32"), out);
    }
    return 0;
  }
}
