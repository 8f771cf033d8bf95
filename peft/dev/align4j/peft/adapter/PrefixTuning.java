package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.io.SafetensorsWriter;
import dev.align4j.peft.io.TensorData;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    float[] v = dev.align4j.peft.kernels.DTypeGuard.toType(x, DataType.FLOAT32).toFloatArray();
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    Files.createDirectories(dir);
    SafetensorsWriter.write(dir.resolve(PeftAdapterFiles.WEIGHTS),
        Map.of("prompt_embeddings", new TensorData(DType.F32, x.getShape().getShape(), b)), Map.of("format", "pt"));
    ModelConfig c = model.config();
    ObjectNode o = new ObjectMapper().createObjectNode();
    if (baseModel == null) {
      o.putNull("base_model_name_or_path");
    } else {
      o.put("base_model_name_or_path", baseModel);
    }
    o.put("inference_mode", true);
    o.put("num_attention_heads", c.numKvHeads());
    o.put("num_layers", c.numLayers());
    o.put("num_transformer_submodules", 1);
    o.put("num_virtual_tokens", n);
    o.put("peft_type", "PREFIX_TUNING");
    o.put("prefix_projection", false);
    o.put("task_type", "CAUSAL_LM");
    o.put("token_dim", c.numKvHeads() * c.headDim());
    AtomicFiles.writeString(dir.resolve(PeftAdapterFiles.CONFIG), HfCheckpointWriter.prettySorted(o));
  }

  /** Loads a PEFT prefix-tuning adapter (without projection). */
  public static PrefixTuning load(CausalLM model, Path dir) throws IOException {
    Path cfgFile = dir.resolve(PeftAdapterFiles.CONFIG);
    var cfg = new ObjectMapper().readTree(cfgFile.toFile());
    if (!"PREFIX_TUNING".equals(cfg.path("peft_type").asText())) {
      throw new CheckpointFormatException(cfgFile, "peft_type '" + cfg.path("peft_type").asText() + "' is not PREFIX_TUNING");
    }
    if (cfg.path("prefix_projection").asBoolean(false)) {
      throw new CheckpointFormatException(cfgFile, "prefix_projection=true is not supported (only the plain table)");
    }
    java.util.List<String> unsupported = UnsupportedKeys.promptLearning(cfg);
    if (!unsupported.isEmpty()) {
      throw new CheckpointFormatException(cfgFile, "not supported by align4j: " + String.join("; ", unsupported));
    }
    Path wfile = dir.resolve(PeftAdapterFiles.WEIGHTS);
    try (SafetensorsFile f = SafetensorsFile.open(wfile)) {
      if (!f.tensors().containsKey("prompt_embeddings")) {
        throw new CheckpointFormatException(wfile, "missing tensor 'prompt_embeddings'");
      }
      long[] s = f.info("prompt_embeddings").shape();
      ModelConfig c = model.config();
      long width = (long) c.numLayers() * 2 * c.numKvHeads() * c.headDim();
      if (s.length != 2 || s[1] != width) {
        throw new CheckpointFormatException(wfile, "prompt_embeddings has shape " + java.util.Arrays.toString(s)
            + " but this model needs [n, " + width + "]");
      }
      PrefixTuning p = new PrefixTuning(model, (int) s[0], 0);
      p.table.replace(model.manager().create(f.toFloatArray("prompt_embeddings"), new Shape(s)));
      return p;
    }
  }
}
