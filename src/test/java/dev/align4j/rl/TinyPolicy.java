package dev.align4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.rl.rollout.RlPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** A tiny Qwen2-shaped model with LoRA adapters for the RL tests (vocab 64, hidden 16, 2 layers). */
public final class TinyPolicy implements AutoCloseable {
  public final NDManager manager;
  public final CausalLM model;
  public final PeftModel peft;

  /**
   * @param adapters LoRA adapters to add (rank 4, all linear layers); each one's B is drawn at random
   *     (scale 0.3) so that it changes the model
   */
  public TinyPolicy(Precision precision, String... adapters) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    DataType dt = precision == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    manager = Torch.newManager();
    model = CausalLM.create(c, precision, AttentionImpl.COMPOSED, manager,
        RandomWeights.generate(c, manager, 5, 0.2, 0.1, dt));
    peft = new PeftModel(model);
    long seed = 11;
    for (String a : adapters) {
      peft.addLora(a, LoraConfig.of(4, 8, "all-linear"), seed);
      perturb(peft.parametersOf(a), seed++);
    }
  }

  /** Adds uniform noise of scale 0.3 to every lora_B matrix (in place, through arithmetic). */
  public static void perturb(List<Parameter> params, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (Parameter p : params) {
      if (p.name().contains("lora_B")) {
        NDArray d = p.data();
        double[] v = new double[(int) d.getShape().size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = 0.3 * (2 * r.nextDouble() - 1);
        }
        try (NDManager s = d.getManager().newSubManager()) {
          d.addi(s.create(v, d.getShape()).toType(d.getDataType(), false));
        }
      }
    }
  }

  /** {@code n} prompts of 2 to 6 tokens from ids 1..59 (60..63 are left for EOS and padding). */
  public static List<RlPrompt> prompts(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<RlPrompt> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] ids = new long[2 + r.nextInt(5)];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = 1 + r.nextInt(59);
      }
      out.add(new RlPrompt(ids, "p" + i, Map.of("index", Integer.toString(i))));
    }
    return out;
  }

  @Override
  public void close() {
    model.close();
    manager.close();
  }
}
