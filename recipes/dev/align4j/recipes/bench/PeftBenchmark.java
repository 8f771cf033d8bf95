package dev.align4j.recipes.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.quant.QuantizedModels;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.AdamW;
import dev.align4j.peft.train.Gradients;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training step (forward, backward, AdamW) of full fine-tuning, LoRA or QLoRA on a random model:
 * step time, the optimizer's share of it, trainable parameters and peak RSS.
 */
public final class PeftBenchmark {
  /** Methods compared. */
  public enum Method { FULL, LORA, QLORA }

  /** One measured row. */
  public record Row(String method, double stepMs, double optimizerMs, long trainable, double peakRssMiB) {}

  private PeftBenchmark() {}

  /** Measures one method in this process (float32 compute; QLoRA dequantises its NF4 base to float32). */
  public static Row run(ModelConfig c, Method method, int batch, int seq, int warmup, int steps) {
    return run(c, method, batch, seq, warmup, steps, ai.djl.Device.cpu());
  }

  /** {@link #run(ModelConfig, Method, int, int, int, int)} on {@code device}. */
  public static Row run(ModelConfig c, Method method, int batch, int seq, int warmup, int steps, ai.djl.Device device) {
    try (NDManager m = Torch.newManager(device)) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 0, 0.02, 0, DataType.FLOAT32);
      try (CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m, w)) {
        List<Parameter> params;
        if (method == Method.FULL) {
          model.setAllTrainable(true);
          params = model.trainableParameters();
        } else {
          if (method == Method.QLORA) {
            QuantizedModels.quantize(model, true);
          }
          PeftModel peft = new PeftModel(model);
          peft.addLora("default", LoraConfig.of(16, 32, "all-linear"), 0);
          params = peft.trainableParameters();
        }
        long trainable = params.stream().mapToLong(p -> p.shape().size()).sum();
        SplittableRandom rng = new SplittableRandom(0);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rng.nextInt(c.vocabSize());
        }
        double[] total = new double[steps];
        double[] opt = new double[steps];
        try (AdamW adam = new AdamW(params, m, 0.9, 0.999, 1e-8, 0.0)) {
          for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            try (NDManager step = m.newSubManager()) {
              Gradients.zero(params);
              ModelInput in = new ModelInput(step.create(ids, new Shape(batch, seq)), null, null);
              try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = model.nextTokenLoss(in, null);
                gc.backward(loss);
                loss.getFloat();
              }
            }
            long t1 = System.nanoTime();
            adam.step(1e-4);
            long t2 = System.nanoTime();
            if (s >= warmup) {
              total[s - warmup] = (t2 - t0) / 1e6;
              opt[s - warmup] = (t2 - t1) / 1e6;
            }
          }
        }
        Arrays.sort(total);
        Arrays.sort(opt);
        return new Row(method.name().toLowerCase(), total[steps / 2], opt[steps / 2], trainable, MatmulRate.peakRssMiB());
      }
    } finally {
      Kernels.get();
    }
  }
}
