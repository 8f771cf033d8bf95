package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prefix tuning (Li and Liang 2021) without the reparameterisation MLP (PEFT's default,
 * {@code prefix_projection=False}): one learned table {@code prompt_embeddings [n, L*2*K*D]} holds
 * every layer's prefix keys and values (K key/value heads of size D), as PEFT lays it out; they enter
 * each layer's attention as cached positions 0..n-1.
 */
public final class PrefixTuning extends SingleAdapter {
  private final CausalLM model;
  private final Parameter table;
  private final int n;

  /** A prefix of {@code n} virtual tokens, initialised N(0, 1) as PEFT's embedding table. */
  public PrefixTuning(CausalLM model, int n, long seed) {
    if (n <= 0) {
      throw new IllegalArgumentException("num_virtual_tokens must be > 0");
    }
    this.model = model;
    this.n = n;
    model.setAllTrainable(false);
    ModelConfig c = model.config();
    int width = c.numLayers() * 2 * c.numKvHeads() * c.headDim();
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * width];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
    }
    NDArray init = model.manager().create(v, new Shape(n, width));
    table = Parameter.master("prompt_embeddings", init, model.precision());
    table.setTrainable(true);
    state.setActive(NAME);
    model.setPrefix(() -> state.isActive(NAME) ? keysAndValues() : null);
  }

  /** Per layer {@code [K, n, D]} keys and values from the table (in the compute dtype). */
  public List<NDArray[]> keysAndValues() {
    ModelConfig c = model.config();
    NDArray t = table.forCompute()
        .reshape(n, c.numLayers() * 2, c.numKvHeads(), c.headDim())          // [n, 2L, K, D]
        .transpose(1, 2, 0, 3);                                                // [2L, K, n, D]
    NDList parts = t.split(c.numLayers() * 2L, 0);
    List<NDArray[]> out = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      out.add(new NDArray[] {parts.get(2 * i).squeeze(0), parts.get(2 * i + 1).squeeze(0)});
    }
    return out;
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.PREFIX_TUNING;
  }

  /** The table. */
  @Override
  public List<Parameter> trainableParameters() {
    return List.of(table);
  }

  /** Replaces the table (tests build prefixes from real tokens' keys and values). */
  void setTable(NDArray values) {
    table.replace(values);
  }

  /** Saves in PEFT's format. */
  @Override
  public void save(Path dir, String baseModel) throws IOException {
    NDArray x = table.data();
    PromptLearningFiles.writeTable(dir, DTypeGuard.toType(x, DataType.FLOAT32).toFloatArray(), x.getShape().getShape());
    ModelConfig c = model.config();
    ObjectNode o = PromptLearningFiles.config(baseModel, "PREFIX_TUNING", c.numKvHeads(), c.numLayers(), n,
        (long) c.numKvHeads() * c.headDim());
    o.put("prefix_projection", false);
    PromptLearningFiles.writeConfig(dir, o);
  }


  /** Loads a PEFT prefix-tuning adapter (without projection). */
  public static PrefixTuning load(CausalLM model, Path dir) throws IOException {
    JsonNode cfg = PromptLearningFiles.readConfig(dir, "PREFIX_TUNING");
    if (cfg.path("prefix_projection").asBoolean(false)) {
      throw new CheckpointFormatException(dir.resolve(PeftAdapterFiles.CONFIG),
          "prefix_projection=true is not supported (only the plain table)");
    }
    ModelConfig c = model.config();
    long width = (long) c.numLayers() * 2 * c.numKvHeads() * c.headDim();
    NDArray t = PromptLearningFiles.readTable(model, dir, width, "this model needs [n, " + width + "]");
    PrefixTuning p = new PrefixTuning(model, (int) t.getShape().get(0), 0);
    p.table.replace(t);
    return p;
  }

}
