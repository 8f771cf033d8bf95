package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.torch.NativeMemory;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.ActivationCheckpointing;
import dev.align4j.peft.train.Gradients;
import dev.align4j.peft.train.TokenLoss;
import dev.align4j.peft.train.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Where QLoRA's memory goes in a training step, measured in live native bytes rather than RSS: glibc's
 * {@code mallinfo2} (in-use bytes of every malloc arena plus every mmapped chunk, which is where
 * libtorch's CPU tensors live) is sampled after every linear layer's forward, in the first pass and in
 * checkpointing's recomputation alike.
 *
 * <p>A plain backward keeps every layer's dequantised float32 weight alive from forward to backward
 * (autograd saves it for the input gradient of {@code x W^T}): the step's live bytes grow by at least the
 * whole model's dequantised weights. With activation checkpointing per decoder layer the forward runs
 * without autograd (each dequantised weight is freed when its layer returns) and backward dequantises a
 * layer's weights again when it recomputes that layer (what bitsandbytes' backward does): the live bytes
 * never hold more than about one layer's. The LoRA gradients are the same either way.
 */
@Tag("memory")   // measures live malloc bytes after System.gc(): Surefire keeps its JVM flags as calibrated (pom.xml)
class QloraCheckpointMemoryTest {
  /** Live malloc bytes of the process: in use in the arenas plus mmapped chunks. */
  static long liveBytes() {
    return NativeMemory.liveBytes();
  }

  /** Samples the live bytes after each forward of the wrapped layer. */
  static final class Sampling implements Linear {
    static long max;
    private final Linear inner;

    Sampling(Linear inner) {
      this.inner = inner;
    }

    @Override
    public NDArray forward(NDArray x) {
      NDArray y = inner.forward(x);
      max = Math.max(max, liveBytes());
      return y;
    }

    @Override
    public long inFeatures() {
      return inner.inFeatures();
    }

    @Override
    public long outFeatures() {
      return inner.outFeatures();
    }
  }

  @Test
  void checkpointingDequantisesAgainInBackwardInsteadOfKeepingEveryLayersWeight() throws Exception {
    Assumptions.assumeTrue(NativeMemory.liveBytesAvailable(), "needs glibc's mallinfo2 (Linux, glibc 2.33+)");
    // 8 layers of 2.25 MiB of float32 weights each (hidden 256, intermediate 512), 16 tokens: the
    // dequantised weights dwarf the activations, and a layer's share (1/8) is easy to tell from all
    // of them whatever else the JVM allocates meanwhile (about +-2 MiB, measured)
    ModelConfig c = new ModelConfig(ModelFamily.LLAMA, 256, 256, 512, 8, 4, 2, 64, 1e-5, 10000.0, null, 64, true,
        false, "float32");
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m,
            RandomWeights.generate(c, m, 3, 0.05, 0.0, DataType.FLOAT32))) {
      QuantizedModels.quantize(model, true);
      long dequantised = 0;
      for (String path : model.linearModulePaths()) {
        if (model.linear(path) instanceof Nf4Linear q) {
          dequantised += 4 * q.inFeatures() * q.outFeatures();
        }
      }
      long perLayer = dequantised / c.numLayers();
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(8, 16, "all-linear"), 1);
      List<Parameter> params = peft.trainableParameters();
      for (Parameter p : params) {
        if (p.name().contains("lora_B")) {   // nonzero B, so every LoRA gradient is nonzero
          p.data().addi(m.randomNormal(0, 0.05f, p.shape(), DataType.FLOAT32));
        }
      }
      for (String path : model.linearModulePaths()) {
        if (!path.equals("lm_head")) {
          model.replaceLinear(path, new Sampling(model.linear(path)));
        }
      }
      long[] row = new long[16];
      for (int j = 0; j < row.length; j++) {
        row[j] = 1 + (j * 37) % 250;
      }
      List<TrainingExample> ex = List.of(TrainingExample.allTokens(row));

      long[] peak = new long[2];
      List<List<float[]>> grads = new ArrayList<>();
      // twice each way, the second time measured: the first runs warm up libtorch's and the JIT's caches
      for (int run = 0; run < 4; run++) {
        boolean ck = run % 2 == 1;
        Gradients.zero(params);
        long base;
        try (NDManager s = m.newSubManager()) {
          TokenLoss.Batch b = TokenLoss.collate(s, ex, 0);
          System.gc();
          base = liveBytes();
          Sampling.max = base;
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            if (ck) {
              ActivationCheckpointing.backward(model, b, 1.0 / 15, 11);
            } else {
              NDArray sum = TokenLoss.sumNll(model, b);
              gc.backward(sum.mul(Kernels.scalar(sum, 1.0 / 15)));
            }
          }
        }
        if (run >= 2) {
          peak[ck ? 1 : 0] = Sampling.max - base;
          List<float[]> g = new ArrayList<>();
          params.forEach(p -> g.add(p.data().getGradient().toFloatArray()));
          grads.add(g);
        }
      }
      // plain backward: every dequantised weight is alive at the end of the forward
      assertThat(peak[0]).as("plain: live bytes over the step's start vs %d dequantised", dequantised)
          .isGreaterThan((long) (0.9 * dequantised));
      // checkpointed: about one layer's weights (plus its recomputed activations) at a time, measured
      // 1-2.5 layers' worth with the JVM's own allocations; far from the whole set
      assertThat(peak[1]).as("checkpointed: live bytes over the step's start vs %d per layer", perLayer)
          .isLessThan(dequantised / 2);
      for (int i = 0; i < params.size(); i++) {
        float[] plain = grads.get(0).get(i);
        float[] ck = grads.get(1).get(i);
        double scale = 0;
        for (float v : plain) {
          scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as(params.get(i).name()).isGreaterThan(0);
        assertThat(ck).as(params.get(i).name()).containsExactly(plain, Offset.offset((float) (1e-5 * scale)));
      }
      System.out.printf("dequantised %d B (%d per layer); step peak over start: plain %d B, checkpointed %d B%n",
          dequantised, perLayer, peak[0], peak[1]);
    }
  }
}
