package dev.align4j.recipes.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.torch.Torch;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Forward+backward step time of a full fine-tuning step (all parameters trainable) on a random model,
 * with achieved GFLOP/s next to the machine's measured matmul rate.
 */
public final class ModelBenchmark {
  /** One measured configuration. */
  public record Row(
      String precision, String attention, double stepMs, double tokensPerSec, double gflops,
      double matmulGflops, double peakRssMiB) {}

  private ModelBenchmark() {}

  /** SmolLM2-135M's shape: hidden 576, 30 layers, 9 heads, 3 kv heads, intermediate 1536, vocab 49152. */
  public static ModelConfig smolLm2Shape() {
    return new ModelConfig(ModelFamily.LLAMA, 49152, 576, 1536, 30, 9, 3, 64, 1e-5, 100000.0, null,
        8192, true, false, "float32");
  }

  /** A small shape for smoke runs. */
  public static ModelConfig tinyShape() {
    return new ModelConfig(ModelFamily.LLAMA, 1024, 128, 384, 2, 4, 2, 32, 1e-5, 10000.0, null,
        2048, true, false, "float32");
  }

  /**
   * Model FLOPs of one forward+backward step: 6 x parameters x tokens (Kaplan et al. 2020) plus the
   * attention score and value matmuls, 12 x layers x (heads x head dim) x T per token (PaLM, app. B).
   */
  public static double stepFlops(ModelConfig c, int batch, int seq) {
    double tokens = (double) batch * seq;
    double attn = 12.0 * c.numLayers() * c.numHeads() * c.headDim() * seq * tokens;
    return 6.0 * c.parameterCount() * tokens + attn;
  }

  /** Measures one configuration in this process, on the CPU. */
  public static Row run(ModelConfig c, Precision precision, AttentionImpl attention, int batch, int seq,
      int warmup, int steps) {
    return run(c, precision, attention, batch, seq, warmup, steps, ai.djl.Device.cpu());
  }

  /** Measures one configuration in this process on {@code device}. */
  public static Row run(ModelConfig c, Precision precision, AttentionImpl attention, int batch, int seq,
      int warmup, int steps, ai.djl.Device device) {
    try (NDManager m = Torch.newManager(device)) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 0, 0.02, 0, DataType.FLOAT32);
      if (precision == Precision.BFLOAT16) {
        w.replaceAll((k, v) -> dev.align4j.peft.kernels.Kernels.get().toBFloat16(v));
      }
      try (CausalLM model = CausalLM.create(c, precision, attention, m, w)) {
        model.setAllTrainable(true);
        SplittableRandom rng = new SplittableRandom(0);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rng.nextInt(c.vocabSize());
        }
        double[] ms = new double[steps];
        for (int s = 0; s < warmup + steps; s++) {
          try (NDManager step = m.newSubManager()) {
            ModelInput in = new ModelInput(step.create(ids, new Shape(batch, seq)), null, null);
            long t0 = System.nanoTime();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray loss = model.nextTokenLoss(in, null);
              gc.backward(loss);
              loss.getFloat();
            }
            double dt = (System.nanoTime() - t0) / 1e6;
            if (s >= warmup) {
              ms[s - warmup] = dt;
            }
          }
        }
        Arrays.sort(ms);
        double median = ms[ms.length / 2];
        double tokensPerSec = batch * seq / (median / 1000);
        double gflops = stepFlops(c, batch, seq) / (median / 1000) / 1e9;
        return new Row(precision.name().toLowerCase(), attention.name().toLowerCase(), median, tokensPerSec,
            gflops, MatmulRate.gflops(m, precision), MatmulRate.peakRssMiB());
      }
    }
  }
}
