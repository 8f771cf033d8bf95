package dev.align4j.recipes.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Packing;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.sft.SftEncoder;
import dev.align4j.sft.SftOptions;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.sft.demo.IncidentDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** SFT throughput with and without packing, and preprocessing speed. */
public final class SftBenchmark {
  private SftBenchmark() {}

  /** Real (non-padding) tokens per second of LoRA SFT, unpacked or packed to {@code packLen}. */
  public static double[] trainTokensPerSecond(ModelConfig c, boolean packed, int batch, int packLen, int steps) throws Exception {
    return trainTokensPerSecond(c, packed, batch, packLen, steps, ai.djl.Device.cpu());
  }

  /** {@link #trainTokensPerSecond(ModelConfig, boolean, int, int, int)} on {@code device}. */
  public static double[] trainTokensPerSecond(ModelConfig c, boolean packed, int batch, int packLen, int steps,
      ai.djl.Device device) throws Exception {
    SplittableRandom r = new SplittableRandom(3);
    List<TrainingExample> data = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      int len = 32 + r.nextInt(225);                 // 32..256 tokens: typical instruction data
      long[] ids = new long[len];
      boolean[] t = new boolean[len];
      for (int j = 0; j < len; j++) {
        ids[j] = r.nextInt(c.vocabSize());
        t[j] = j >= len / 3;
      }
      data.add(new TrainingExample(ids, t));
    }
    List<TrainingExample> rows = packed ? Packing.pack(data, packLen) : data;
    int perStep = packed ? Math.max(1, batch * 144 / packLen) : batch;   // same real tokens per step
    try (NDManager m = Torch.newManager(device);
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m,
            RandomWeights.generate(c, m, 0, 0.02, 0, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(16, 32, "all-linear"), 0);
      List<StepMetrics> ms = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(steps, perStep, 1),
          s -> 1e-4, null).train(rows, null);
      double tps = ms.subList(1, ms.size()).stream().mapToDouble(StepMetrics::tokensPerSecond).average().orElse(0);
      long real = rows.stream().mapToLong(e -> e.ids().length).sum();
      return new double[] {tps, real / (double) rows.size()};
    }
  }

  /** Examples per second of parsing + chat template + tokenisation + assistant masks. */
  public static double preprocessExamplesPerSecond(Path tokenizerDir, int n) throws Exception {
    List<ObjectNode> records = IncidentDataset.generate(n, 1);
    ExampleParser parser = ExampleParser.of(DataFormat.ALPACA);
    try (Tokenizer tok = Tokenizer.load(tokenizerDir)) {
      SftEncoder enc = new SftEncoder(tok, tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          tokenizerDir.resolve("tokenizer_config.json") + " has no chat_template")), SftOptions.defaults());
      long t0 = System.nanoTime();
      long line = 0;
      for (ObjectNode rec : records) {
        enc.encode(parser.parse(new SourceRecord(Path.of("bench"), ++line, rec)));
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    }
  }
}
