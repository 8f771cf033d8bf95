package dev.align4j.peft.torch;

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
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.train.Gradients;
import dev.align4j.peft.train.TokenLoss;
import dev.align4j.peft.train.TrainingExample;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Run in a fresh JVM: the gradient of a LoRA model's token loss from the process's very first
 * backward, then again from a second backward, as SHA-256 digests of the gradient bytes. A first
 * backward that differs from the second (or from other processes') is the "wrong first backward"
 * that the removed autograd warm-up in {@link Torch} was written against.
 *
 * <p>Arguments: {@code warm|cold} (run the old warm-up backward first, or not) and
 * {@code kernel|java} (divide the loss by a libtorch-allocated scalar, as align4j does, or by a
 * Java number, the DJL trap fixed right after the warm-up was added).
 */
public final class FirstBackwardProbe {
  private FirstBackwardProbe() {}

  /** Prints {@code first=<sha256> second=<sha256> loss=<value>}. */
  public static void main(String[] args) throws Exception {
    boolean warm = args.length > 0 && args[0].equals("warm");
    boolean javaScalar = args.length > 1 && args[1].equals("java");
    if (warm) {
      try (NDManager m = Torch.newManager(); GradientCollector gc = Torch.engine().newGradientCollector()) {
        NDArray x = m.create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2));
        x.setRequiresGradient(true);
        gc.backward(x.matMul(x).softmax(-1).sum());
      }
    }
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 5, 0.2, 0.1, DataType.FLOAT32))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", new LoraConfig(4, 8, 0.0, List.of("all-linear"), null, false, false, List.of()), 7);
      List<Parameter> params = peft.trainableParameters();
      List<TrainingExample> batch = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long[] ids = new long[9 + i];
        for (int j = 0; j < ids.length; j++) {
          ids[j] = 1 + (7L * i + 3L * j) % 60;
        }
        batch.add(TrainingExample.allTokens(ids));
      }
      String[] digests = new String[2];
      double loss = 0;
      for (int round = 0; round < 2; round++) {
        Gradients.zero(params);
        try (NDManager s = m.newSubManager(); GradientCollector gc = Torch.engine().newGradientCollector()) {
          TokenLoss.Batch b = TokenLoss.collate(s, batch, 0);
          NDArray sum = TokenLoss.sumNll(model, b);
          loss = sum.toType(DataType.FLOAT64, false).getDouble() / b.targetCount();
          gc.backward(javaScalar ? sum.div(b.targetCount()) : sum.div(Kernels.scalar(sum, b.targetCount())));
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (Parameter p : params) {
          float[] g = p.data().getGradient().toFloatArray();
          ByteBuffer buf = ByteBuffer.allocate(4 * g.length).order(ByteOrder.LITTLE_ENDIAN);
          buf.asFloatBuffer().put(g);
          d.update(buf.array());
        }
        digests[round] = HexFormat.of().formatHex(d.digest()).substring(0, 16);
      }
      System.out.println("first=" + digests[0] + " second=" + digests[1] + " loss=" + loss);
    }
  }
}
