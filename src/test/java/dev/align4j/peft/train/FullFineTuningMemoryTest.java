package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.torch.NativeMemory;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Full fine-tuning's native memory between steps, on a tiny model whose tied {@code [V, H]} embedding
 * (8 MiB of float32) dwarfs the rest, measured as glibc's live malloc bytes (independent of what the
 * allocator keeps resident) and as the arrays alive under the model's manager.
 *
 * <p>Two causes of full fine-tuning's peak above transformers' (issue 14): the chunked loss left its
 * {@code [V, H]} surrogate product {@code W * dW} on the model's manager every step (the head weight
 * trains), under bfloat16 also the bfloat16 copies of the embedding and head and the float32 copy of
 * the head (about 2.5 {@code [V, H]} float32 arrays a step), and every gradient stayed allocated
 * (zeroed in place) through the next forward, where PyTorch's {@code zero_grad(set_to_none=True)}
 * frees them.
 */
@Tag("memory")   // measures live malloc bytes after System.gc(): Surefire keeps its JVM flags as calibrated (pom.xml)
class FullFineTuningMemoryTest {
  static final ModelConfig TIED = new ModelConfig(ModelFamily.LLAMA, 32768, 64, 128, 1, 4, 2, 16, 1e-6, 1e4, null, 64,
      true, false, "float32");
  static final long VH_BYTES = 4L * 32768 * 64;

  static List<TrainingExample> data() {
    List<TrainingExample> data = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long[] ids = new long[32];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = (i * 7919L + j * 104729L) % 32768;
      }
      data.add(TrainingExample.allTokens(ids));
    }
    return data;
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"FLOAT32", "BFLOAT16"})
  void stepsLeaveNoArrayOnTheModelAndNoGradientBehind(Precision precision) throws Exception {
    Assumptions.assumeTrue(NativeMemory.liveBytesAvailable(), "needs glibc's mallinfo2 (Linux, glibc 2.33+)");
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(TIED, precision, AttentionImpl.FUSED, m,
            RandomWeights.generate(TIED, m, 1, 0.02, 0, DataType.FLOAT32))) {
      model.setAllTrainable(true);
      List<Parameter> params = model.trainableParameters();
      long[] live = new long[7];
      int[] arrays = new int[7];
      boolean[] gradientHeld = new boolean[7];
      new Trainer(model, params, TrainerConfig.of(6, 2, 1), s -> 1e-3, null).train(data(), st -> {
        int k = (int) st.step();
        System.gc();
        live[k] = NativeMemory.liveBytes();
        arrays[k] = model.manager().getManagedArrays().size();
        for (Parameter p : params) {
          PtNDArray g = JniUtils.getGradient((PtNDArray) p.data());
          if (g != null) {
            gradientHeld[k] = true;
            g.close();
          }
        }
      });
      System.out.printf("%s: live bytes after steps 2..6: %d %d %d %d %d ([V, H] = %d); arrays %d -> %d%n", precision,
          live[2], live[3], live[4], live[5], live[6], VH_BYTES, arrays[2], arrays[6]);
      assertThat(arrays[6]).as("arrays alive under the model's manager after step 6 vs step 2").isEqualTo(arrays[2]);
      // a leaked [V, H] product per step was 4 x 8 MiB over these steps; the JVM's own allocations move
      // the live bytes by about +-2 MiB
      assertThat(live[6] - live[2]).as("live bytes from step 2 to step 6").isLessThan(VH_BYTES / 2);
      for (int k = 1; k <= 6; k++) {
        assertThat(gradientHeld[k]).as("a gradient held after step %d", k).isFalse();
      }
    }
  }

  @Test
  void releasedGradientsGiveTheSameNextGradientsAndFreeTheirMemory() {
    Assumptions.assumeTrue(NativeMemory.liveBytesAvailable(), "needs glibc's mallinfo2 (Linux, glibc 2.33+)");
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(TIED, Precision.FLOAT32, AttentionImpl.FUSED, m,
            RandomWeights.generate(TIED, m, 1, 0.02, 0, DataType.FLOAT32))) {
      model.setAllTrainable(true);
      List<Parameter> params = model.trainableParameters();
      long gradBytes = params.stream().mapToLong(p -> 4 * p.shape().size()).sum();
      backward(model);
      Gradients.release(params);                    // the first release copies host-made arrays once
      backward(model);                              // gradients now exist
      List<float[]> afterZero = new ArrayList<>();
      Gradients.zero(params);
      backward(model);
      params.forEach(p -> afterZero.add(gradient(p)));
      System.gc();
      long held = NativeMemory.liveBytes();
      Gradients.release(params);
      System.gc();
      long released = NativeMemory.liveBytes();
      assertThat(held - released).as("live bytes freed by release vs %d bytes of gradients", gradBytes)
          .isGreaterThan(gradBytes * 9 / 10);
      backward(model);
      for (int i = 0; i < params.size(); i++) {
        float[] g = gradient(params.get(i));
        float[] z = afterZero.get(i);
        int differ = 0;
        for (int j = 0; j < g.length; j++) {
          if (Float.floatToRawIntBits(g[j]) != Float.floatToRawIntBits(z[j])) {
            differ++;
          }
        }
        assertThat(differ).as("%s: elements whose gradient differs from the zeroed path's", params.get(i).name())
            .isZero();
      }
    }
  }

  /** The gradient's values; the wrapper DJL makes for it is closed (an open one keeps the gradient alive). */
  private static float[] gradient(Parameter p) {
    try (NDArray g = p.data().getGradient()) {
      return g.toFloatArray();
    }
  }

  private static void backward(CausalLM model) {
    try (NDManager s = model.manager().newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      TokenLoss.Batch b = TokenLoss.collate(s, data(), 0);
      NDArray sum = TokenLoss.sumNll(model, b);
      gc.backward(sum);
    }
  }
}
