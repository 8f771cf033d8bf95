package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code align4j info}: what a checkpoint is. */
@Command(name = "info", description = "Architecture, parameter count, dtype and memory of a checkpoint.")
public final class InfoCommand implements Callable<Integer> {
  @Mixin ModelOptions options;

  @Override
  public Integer call() throws Exception {
    try (NDManager m = Torch.newManager(options.device()); PretrainedModel pm = options.load(m)) {
      CausalLM model = pm.model();
      ModelConfig c = model.config();
      long params = 0;
      long bytes = 0;
      for (Parameter p : model.parameters().values()) {
        params += p.shape().size();
        bytes += p.shape().size() * (model.precision() == dev.align4j.peft.model.Precision.BFLOAT16 ? 2 : p.data().getDataType().getNumOfBytes());
      }
      System.out.printf("checkpoint      %s%n", pm.source());
      System.out.printf("architecture    %s (model_type %s)%n", c.architectureName(), c.family().modelType());
      System.out.printf("layers          %d, hidden %d, intermediate %d%n", c.numLayers(), c.hiddenSize(), c.intermediateSize());
      System.out.printf("attention       %d heads, %d kv heads, head dim %d%s%n", c.numHeads(), c.numKvHeads(), c.headDim(),
          c.family().qkNorm() ? ", q/k norm" : c.qkvBias() ? ", qkv bias" : "");
      System.out.printf("rope            theta %.0f%s%n", c.ropeTheta(), c.ropeScaling() == null ? "" : ", " + c.ropeScaling().ropeType() + " scaling x" + c.ropeScaling().factor());
      System.out.printf("vocab           %d%s%n", c.vocabSize(), c.tieWordEmbeddings() ? " (tied embeddings)" : "");
      System.out.printf("parameters      %,d%n", params);
      System.out.printf("stored dtype    %s; computing in %s%n", c.torchDtype(), model.precision().name().toLowerCase());
      System.out.printf("weights memory  %.1f MiB%n", bytes / 1048576.0);
    }
    return 0;
  }
}
