package dev.align4j.peft.quant;

import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;

/** Puts a model's frozen base into NF4 for QLoRA. */
public final class QuantizedModels {
  private QuantizedModels() {}

  /**
   * Replaces every decoder linear layer (the output head stays in full precision, as in QLoRA) with an
   * {@link Nf4Linear} and frees the dense weights. Biases and norms are untouched.
   *
   * @return bytes of the quantised weights (packed codes plus absmax storage)
   */
  public static long quantize(CausalLM model, boolean doubleQuant) {
    long bytes = 0;
    for (String path : model.linearModulePaths()) {
      if (path.equals("lm_head")) {
        continue;
      }
      Linear l = model.linear(path);
      if (!(l instanceof DenseLinear dense)) {
        throw new IllegalStateException(path + " is not a dense layer (" + l.getClass().getSimpleName()
            + "): quantise before adding adapters");
      }
      Nf4Linear q = new Nf4Linear(dense, model.manager(), doubleQuant, model.precision());
      model.replaceLinear(path, q);
      model.releaseParameter(path + ".weight");
      bytes += q.storageBytes();
    }
    return bytes;
  }
}
