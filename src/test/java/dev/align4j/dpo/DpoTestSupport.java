package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.dpo.loss.DpoLossConfig;
import dev.align4j.dpo.loss.DpoLossType;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Tiny models and pairs for the DPO tests. */
final class DpoTestSupport {
  private DpoTestSupport() {}

  /** TRL's default loss (sigmoid) at {@code beta}. */
  static PairLoss sigmoid(double beta) {
    return new DpoFamilyLoss(DpoLossConfig.of(beta, DpoLossType.SIGMOID));
  }

  static CausalLM model(NDManager m, Precision p, long seed) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    DataType dt = p == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    return CausalLM.create(c, p, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, seed, 0.2, 0.1, dt));
  }

  static List<DpoPair> pairs(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<DpoPair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new DpoPair(ids(r, 1 + r.nextInt(5)), ids(r, 1 + r.nextInt(6)), ids(r, 1 + r.nextInt(6))));
    }
    return out;
  }

  static long[] ids(SplittableRandom r, int n) {
    long[] x = new long[n];
    for (int j = 0; j < n; j++) {
      x[j] = 1 + r.nextInt(60);
    }
    return x;
  }

  /** Sum of log p(completion | prompt) of one sequence run alone (no padding), in Java doubles. */
  static double seqLogp(CausalLM model, long[] prompt, long[] completion) {
    long[] ids = new long[prompt.length + completion.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    try (NDManager s = model.manager().newSubManager()) {
      NDArray logits = model.logits(ModelInput.of(s, new long[][] {ids}));              // [1, T, V]
      double[] lp = logits.logSoftmax(-1).toType(DataType.FLOAT64, false).toDoubleArray();
      int v = (int) logits.getShape().get(2);
      double sum = 0;
      for (int t = Math.max(prompt.length, 1); t < ids.length; t++) {
        sum += lp[(t - 1) * v + (int) ids[t]];
      }
      return sum;
    }
  }

  static double softplusNeg(double x) {
    return Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}
