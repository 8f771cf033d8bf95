package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class Nf4Test {
  @Test
  void byteLayoutMatchesHandComputedCodes() {
    // block of 4 values with absmax 2: scaled to -1, 1, 0, 0.25 -> codes 0, 15, 7, 10 (0.246 is nearest to 0.25)
    Nf4Tensor t = Nf4.quantize(new float[] {-2f, 2f, 0f, 0.5f}, new long[] {4}, 64, false);
    assertThat(t.rawAbsmax()).containsExactly(2f);
    assertThat(t.packed()).containsExactly((byte) 0x0F, (byte) 0x7A);   // even element in the high nibble
    // odd length: the last byte's low nibble is unused (0)
    Nf4Tensor odd = Nf4.quantize(new float[] {1f, -1f, 1f}, new long[] {3}, 64, false);
    assertThat(odd.packed()).containsExactly((byte) 0xF0, (byte) 0xF0);
    assertThat(Nf4.dequantize(t)).containsExactly(-2f, 2f, 0f, 2 * Nf4.CODEBOOK[10]);
    // thresholds: exactly at a midpoint goes to the lower code (strict >), just above to the upper
    float mid = (float) ((Nf4.CODEBOOK[7] + (double) Nf4.CODEBOOK[8]) / 2);
    assertThat(Nf4.code(mid)).isEqualTo(7);
    assertThat(Nf4.code(Math.nextUp(mid))).isEqualTo(8);
  }

  @Test
  void quantisationErrorIsBoundedByHalfTheLargestCodeGap() {
    float[] w = new float[64 * 40 + 17];
    Random r = new Random(1);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.05);
    }
    for (boolean dq : new boolean[] {false, true}) {
      Nf4Tensor t = Nf4.quantize(w, new long[] {w.length}, 64, dq);
      float[] back = Nf4.dequantize(t);
      double maxGap = 0;
      for (int i = 0; i < 15; i++) {
        maxGap = Math.max(maxGap, Nf4.CODEBOOK[i + 1] - Nf4.CODEBOOK[i]);
      }
      float[] absmax = t.absmax();
      for (int i = 0; i < w.length; i++) {
        double bound = absmax[i / 64] * maxGap / 2 + (dq ? 0.02 * Math.abs(w[i]) + 1e-4 : 1e-7);
        assertThat((double) Math.abs(back[i] - w[i])).as("dq=%s i=%d", dq, i).isLessThanOrEqualTo(bound);
      }
    }
  }

  @Test
  void doubleQuantRoundTripAndStorage() {
    float[] absmax = new float[1000];
    Random r = new Random(2);
    for (int i = 0; i < absmax.length; i++) {
      absmax[i] = 0.01f + r.nextFloat() * 0.2f;
    }
    Blockwise8bit.Quantized q = Blockwise8bit.quantizeAbsmax(absmax);
    float[] back = Blockwise8bit.dequantizeAbsmax(q);
    for (int i = 0; i < absmax.length; i++) {
      assertThat(back[i]).isCloseTo(absmax[i], Offset.offset(q.absmax2()[i / 256] / 50f));
    }
    assertThat(Blockwise8bit.DYNAMIC_MAP).hasSize(256).endsWith(1.0f).contains(0f);
    assertThat(Blockwise8bit.DYNAMIC_MAP[0]).isCloseTo(-0.99296875f, Offset.offset(1e-6f));
    float[] w = new float[4096 * 64];
    Nf4Tensor t = Nf4.quantize(w, new long[] {w.length}, 64, true);
    double perParam = t.storageBytes() / (double) w.length;
    assertThat(perParam).isBetween(0.5, 0.52);    // 0.5 packed + 1/64 code + 4/(64*256) second level
  }

  @Test
  void qloraForwardIsCloseToTheBaseMatchesJavaDequantAndTrains() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2, 64);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 9, 0.1, 0.05, DataType.FLOAT32))) {
      float[] dense = model.parameters().get("model.layers.0.mlp.up_proj.weight").data().toFloatArray();
      long[][] ids = {{1, 5, 9, 13, 17, 21, 25, 29}};
      float[] ref = model.logits(ModelInput.of(m, ids)).toFloatArray();
      long bytes = QuantizedModels.quantize(model, true);
      assertThat(model.parameters()).doesNotContainKey("model.layers.0.mlp.up_proj.weight");
      Nf4Linear up = (Nf4Linear) model.linear("model.layers.0.mlp.up_proj");
      try (NDManager s = m.newSubManager()) {
        float[] djl = up.dequantize(s).toFloatArray();
        float[] java = Nf4.dequantize(Nf4.quantize(dense, new long[] {32, 16}, 64, true));
        assertThat(djl).containsExactly(java);     // the device dequantisation is the Java reference, bit for bit
      }
      float[] q = model.logits(ModelInput.of(m, ids)).toFloatArray();
      double err = 0;
      double norm = 0;
      for (int i = 0; i < ref.length; i++) {
        err += (q[i] - ref[i]) * (q[i] - ref[i]);
        norm += ref[i] * ref[i];
      }
      assertThat(Math.sqrt(err / norm)).isLessThan(0.15);
      assertThat(bytes).isGreaterThan(0);
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(8, 16, "all-linear"), 1);
      List<TrainingExample> data = new ArrayList<>();
      for (int k = 0; k < 8; k++) {
        long[] row = new long[10];
        for (int j = 0; j < 10; j++) {
          row[j] = 1 + (k * 3 + j) % 60;
        }
        data.add(TrainingExample.allTokens(row));
      }
      var steps = new Trainer(model, peft.trainableParameters(), TrainerConfig.of(30, 4, 1), s -> 1e-2, null).train(data, null);
      assertThat(steps.get(29).loss()).isLessThan(steps.get(0).loss() * 0.7);
    }
  }
}
