package dev.align4j.recipes.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.MasterWeights;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.WeightNames;
import dev.align4j.peft.quant.QuantizedModels;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.ActivationCheckpointing;
import dev.align4j.peft.train.AdamW;
import dev.align4j.peft.train.Gradients;
import dev.align4j.peft.train.MetricsLog;
import dev.align4j.peft.train.TokenLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training step (forward, backward, AdamW) of full fine-tuning, LoRA or QLoRA on a random model:
 * step time split into phases, trainable parameters and peak RSS. The loss is SFT's ({@link
 * TokenLoss#sumNll} over every next token, divided by the token count); no gradient clipping, as the
 * transformers side of {@code bench compare} ({@code bench/train_step_hf.py}) does none either.
 * With {@code -Dalign4j.bench.profile=trace.json} the last step runs under libtorch's profiler; with
 * {@code -Dalign4j.bench.rssEvery=N} the resident memory is printed to stderr after every N-th step
 * (memory over a long run); with {@code -Dalign4j.bench.memPhases=true} each phase's peak and live
 * bytes ({@link MemPhases}). Gradients are released after each update, as the trainer does.
 */
public final class PeftBenchmark {
  /** Methods compared. */
  public enum Method { FULL, LORA, QLORA }

  /**
   * One measured row; times are medians over the measured steps, in ms.
   *
   * @param cpuMs CPU time of the whole process per step (all threads), which other processes on a
   *     shared machine disturb far less than the wall time
   * @param setupRssMiB resident memory once the model, adapters and optimizer exist, before any step
   * @param peakRssMiB the process's peak resident memory (model build included)
   * @param stepPeakRssMiB peak resident memory during the steps alone (the peak counter is reset after
   *     the set-up), or NaN where Linux does not allow the reset
   */
  public record Row(String method, String precision, int batch, int seq, double stepMs, double forwardMs,
      double backwardMs, double optimizerMs, double cpuMs, long trainable, double setupRssMiB, double peakRssMiB,
      double stepPeakRssMiB, double loss) {
    /** Tokens per second of the median step. */
    public double tokensPerSec() {
      return batch * (double) seq / (stepMs / 1000);
    }
  }

  private PeftBenchmark() {}

  /** Measures one method in this process (float32 compute; QLoRA dequantises its NF4 base to float32). */
  public static Row run(ModelConfig c, Method method, int batch, int seq, int warmup, int steps) {
    return run(c, method, Precision.FLOAT32, batch, seq, warmup, steps, Device.cpu());
  }

  /** {@link #run(ModelConfig, Method, int, int, int, int)} on {@code device}. */
  public static Row run(ModelConfig c, Method method, int batch, int seq, int warmup, int steps, Device device) {
    return run(c, method, Precision.FLOAT32, batch, seq, warmup, steps, device);
  }

  /**
   * Measures one method and compute precision in this process. Under bfloat16 the frozen base is
   * stored in bfloat16 and trainable weights keep float32 masters.
   */
  public static Row run(ModelConfig c, Method method, Precision precision, int batch, int seq, int warmup,
      int steps, Device device) {
    return run(c, method, precision, batch, seq, warmup, steps, device, false);
  }

  /**
   * {@link #run(ModelConfig, Method, Precision, int, int, int, int, Device)}, with activation checkpointing
   * per decoder layer when {@code checkpointing} ({@link ActivationCheckpointing}: the forward keeps only
   * each layer's input and backward recomputes the layer, so QLoRA dequantises each weight again in
   * backward instead of autograd keeping every dequantised weight from forward to backward). The row's
   * method then reads e.g. {@code qlora+ckpt}, and forward and backward are one phase (reported as
   * backward; forward 0).
   */
  public static Row run(ModelConfig c, Method method, Precision precision, int batch, int seq, int warmup,
      int steps, Device device, boolean checkpointing) {
    return run(c, method, precision, MasterWeights.FLOAT32, batch, seq, warmup, steps, device, checkpointing);
  }

  /**
   * {@link #run(ModelConfig, Method, Precision, int, int, int, int, Device, boolean)} with the trainable
   * weights' masters chosen: {@link MasterWeights#NONE} under bfloat16 trains the bfloat16 weights
   * themselves (pure bfloat16, as {@code model.to(torch.bfloat16)}); the row's precision then reads
   * {@code bf16-pure}.
   */
  public static Row run(ModelConfig c, Method method, Precision precision, MasterWeights masters, int batch, int seq,
      int warmup, int steps, Device device, boolean checkpointing) {
    try (NDManager m = Torch.newManager(device)) {
      Map<String, NDArray> w = nativeWeights(c, m, precision);
      try (CausalLM model = CausalLM.create(c, precision, AttentionImpl.FUSED, m, w)) {
        List<Parameter> params;
        masters.applyTo(model.parameters().values());   // before any parameter trains: no float32 copy made
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
        masters.applyTo(params);
        long trainable = params.stream().mapToLong(p -> p.shape().size()).sum();
        SplittableRandom rng = new SplittableRandom(0);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rng.nextInt(c.vocabSize());
        }
        float[] ones = new float[batch * (seq - 1)];
        Arrays.fill(ones, 1f);
        long count = ones.length;
        double[] total = new double[steps];
        double[] fwd = new double[steps];
        double[] bwd = new double[steps];
        double[] opt = new double[steps];
        double[] cpu = new double[steps];
        double loss = Double.NaN;
        try (AdamW adam = new AdamW(params, m, 0.9, 0.999, 1e-8, 0.0)) {
          System.gc();
          double setupRss = MetricsLog.rssMib();
          boolean reset = resetPeakRss();
          String profile = System.getProperty("align4j.bench.profile");
          int rssEvery = Integer.getInteger("align4j.bench.rssEvery", 0);
          for (int s = 0; s < warmup + steps; s++) {
            boolean profiled = profile != null && s == warmup + steps - 1;
            if (profiled) {
              // libtorch's autograd profiler over the last step: a Chrome trace (bench/profile_ops.py sums it)
              JniUtils.startProfile(false, true, false);
            }
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            long t1;
            long t2;
            MemPhases.start(s, "zero");
            try (NDManager step = m.newSubManager()) {
              Gradients.zero(params);
              MemPhases.phase("forward");
              ModelInput in = new ModelInput(step.create(ids, new Shape(batch, seq)), null, null);
              TokenLoss.Batch b = new TokenLoss.Batch(in, step.create(ones, new Shape(batch, seq - 1)), count);
              try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                if (checkpointing) {
                  t1 = System.nanoTime();
                  loss = ActivationCheckpointing.backward(model, b, 1.0 / count, s) / count;
                } else {
                  NDArray sum = TokenLoss.sumNll(model, b);
                  NDArray mean = sum.div(Kernels.scalar(sum, count));
                  t1 = System.nanoTime();
                  MemPhases.phase("backward");
                  gc.backward(mean);
                  MemPhases.phase("collector close");
                  loss = mean.getFloat();
                }
              }
              t2 = System.nanoTime();
              MemPhases.phase("step close");
            }
            MemPhases.phase("optimizer");
            adam.step(1e-4);
            Gradients.release(params);   // as the trainer does (and torch's zero_grad(set_to_none=True))
            MemPhases.end();
            long t3 = System.nanoTime();
            long c1 = cpuNanos();
            if (profiled) {
              JniUtils.stopProfile(profile);
              // the profiled step's CPU time: bench/profile_compare.py scales the trace's self times to it
              System.err.printf(java.util.Locale.ROOT, "PROFILE\tcpu_ms %.1f\twall_ms %.1f%n", (c1 - c0) / 1e6,
                  (t3 - t0) / 1e6);
            }
            if (rssEvery > 0 && (s + 1) % rssEvery == 0) {
              // memory over a long run: resident and live-malloc figures after each N-th step
              System.err.printf(java.util.Locale.ROOT, "RSS\tstep %d\t%d MiB%n", s + 1, MetricsLog.rssMib());
            }
            if (s >= warmup) {
              cpu[s - warmup] = (c1 - c0) / 1e6;
              total[s - warmup] = (t3 - t0) / 1e6;
              fwd[s - warmup] = (t1 - t0) / 1e6;
              bwd[s - warmup] = (t2 - t1) / 1e6;
              opt[s - warmup] = (t3 - t2) / 1e6;
            }
          }
          String label = method.name().toLowerCase() + (checkpointing ? "+ckpt" : "");
          return new Row(label, precisionLabel(precision, masters), batch, seq, median(total),
              median(fwd), median(bwd), median(opt), median(cpu), trainable, setupRss, MatmulRate.peakRssMiB(),
              reset ? MatmulRate.peakRssMiB() : Double.NaN, loss);
        }
      }
    } finally {
      Kernels.get();
    }
  }

  /**
   * A row's precision: the compute dtype's name, {@code bf16-pure} for bfloat16 without masters (under
   * float32 the two modes are one).
   */
  public static String precisionLabel(Precision precision, MasterWeights masters) {
    return precision == Precision.BFLOAT16 && masters == MasterWeights.NONE ? "bf16-pure"
        : precision.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Random weights drawn by libtorch (no host copies, so the set-up peak is the model itself, as for a
   * model initialised in Python): matrices N(0, 0.02), norm gains 1; the frozen base in the compute
   * dtype.
   */
  static Map<String, NDArray> nativeWeights(ModelConfig c, NDManager m, Precision precision) {
    Engine.getInstance().setRandomSeed(0);
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : WeightNames.expected(c).entrySet()) {
      String name = e.getKey();
      NDArray t = name.endsWith("norm.weight") ? m.ones(e.getValue())
          : name.endsWith(".bias") ? m.zeros(e.getValue())
          : m.randomNormal(0f, 0.02f, e.getValue(), DataType.FLOAT32);
      if (precision == Precision.BFLOAT16) {
        NDArray b = Kernels.get().toBFloat16(t);
        t.close();
        t = b;
      }
      out.put(name, t);
    }
    return out;
  }

  /** CPU time of this process so far (every thread, libtorch's included), ns. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Resets this process's peak RSS counter (Linux {@code clear_refs} 5); false where not allowed. */
  static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
