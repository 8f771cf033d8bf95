package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prompt tuning (Lester et al. 2021) and P-tuning (Liu et al. 2021): {@code n} virtual token
 * embeddings are prepended to every sequence. Prompt tuning learns them directly; P-tuning learns a
 * table passed through a small MLP encoder (PEFT's {@code PromptEncoder}, MLP variant). As PEFT does,
 * the saved {@code prompt_embeddings} is the prompt itself (for P-tuning, the encoder's output), so
 * a saved adapter of either kind serves inference the same way.
 */
public final class PromptTuning extends SingleAdapter {
  /** Which method. */
  public enum Kind {
    /** Learned embeddings. */
    PROMPT_TUNING,
    /** Learned table through an MLP encoder. */
    P_TUNING
  }

  private final CausalLM model;
  private final Kind kind;
  private final Parameter table;
  private final List<Parameter> encoder = new ArrayList<>();

  /**
   * @param n virtual tokens
   * @param encoderHidden hidden size of the P-tuning MLP (ignored for prompt tuning)
   * @param initTokens token ids whose embeddings initialise the prompt (PEFT's TEXT init, repeated
   *     to n), or null for PEFT's RANDOM init N(0, 1)
   */
  public PromptTuning(CausalLM model, Kind kind, int n, int encoderHidden, long seed, long[] initTokens) {
    if (n <= 0) {
      throw new IllegalArgumentException("num_virtual_tokens must be > 0");
    }
    this.model = model;
    this.kind = kind;
    model.setAllTrainable(false);
    NDManager m = model.manager();
    int h = model.config().hiddenSize();
    SplittableRandom rng = new SplittableRandom(seed);
    NDArray init;
    if (initTokens != null && initTokens.length > 0) {
      float[] emb = model.parameters().get("model.embed_tokens.weight").data().toType(DataType.FLOAT32, false).toFloatArray();
      float[] v = new float[n * h];
      for (int i = 0; i < n; i++) {
        long id = initTokens[i % initTokens.length];
        System.arraycopy(emb, (int) (id * h), v, i * h, h);
      }
      init = m.create(v, new Shape(n, h));
    } else {
      init = m.create(gaussian(rng, n * h, 1.0), new Shape(n, h));
    }
    table = param("prompt_embeddings", init);
    if (kind == Kind.P_TUNING) {
      encoder.add(param("encoder.0.weight", uniform(m, rng, new Shape(encoderHidden, h), h)));
      encoder.add(param("encoder.0.bias", uniform(m, rng, new Shape(encoderHidden), h)));
      encoder.add(param("encoder.2.weight", uniform(m, rng, new Shape(encoderHidden, encoderHidden), encoderHidden)));
      encoder.add(param("encoder.2.bias", uniform(m, rng, new Shape(encoderHidden), encoderHidden)));
      encoder.add(param("encoder.4.weight", uniform(m, rng, new Shape(h, encoderHidden), encoderHidden)));
      encoder.add(param("encoder.4.bias", uniform(m, rng, new Shape(h), encoderHidden)));
    }
    state.setActive(NAME);
    model.setVirtualTokens(() -> state.isActive(NAME) ? prompt() : null);
  }

  private Parameter param(String name, NDArray data) {
    data.attach(model.manager());
    Parameter p = Parameter.master(name, data, model.precision());
    p.setTrainable(true);
    return p;
  }

  private static float[] gaussian(SplittableRandom r, int count, double std) {
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
    }
    return v;
  }

  /** nn.Linear's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
  private static NDArray uniform(NDManager m, SplittableRandom r, Shape s, int fanIn) {
    float[] v = new float[(int) s.size()];
    double bound = 1 / Math.sqrt(fanIn);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
    }
    return m.create(v, s);
  }

  /** The virtual tokens' embeddings {@code [n, H]} in the compute dtype. */
  public NDArray prompt() {
    NDArray t = table.forCompute();                                           // [n, H]
    if (kind == Kind.PROMPT_TUNING) {
      return t;
    }
    NDArray x = Activation.relu(linear(t, 0));                                // [n, h]
    x = Activation.relu(linear(x, 2));                                        // [n, h]
    return linear(x, 4);                                                      // [n, H]
  }

  private NDArray linear(NDArray x, int layer) {
    Parameter w = encoder.get(layer);
    Parameter b = encoder.get(layer + 1);
    return ai.djl.nn.core.Linear.linear(x, w.forCompute(), b.forCompute()).singletonOrThrow();
  }

  @Override
  public AdapterKind kind() {
    return kind == Kind.P_TUNING ? AdapterKind.P_TUNING : AdapterKind.PROMPT_TUNING;
  }

  /** What trains: the table and, for P-tuning, the encoder. */
  @Override
  public List<Parameter> trainableParameters() {
    List<Parameter> out = new ArrayList<>(List.of(table));
    out.addAll(encoder);
    return out;
  }

  /** Saves in PEFT's format: {@code prompt_embeddings} is the prompt itself. */
  @Override
  public void save(Path dir, String baseModel) throws IOException {
    float[] v;
    long[] shape;
    try (NDManager s = model.manager().newSubManager()) {
      NDArray p = prompt();
      if (p != table.data()) {
        p.attach(s);     // prompt tuning's prompt is the table itself (float32): freeing it freed the weights
      }
      NDArray f = DTypeGuard.toType(p, DataType.FLOAT32);
      v = f.toFloatArray();
      shape = p.getShape().getShape();
    }
    PromptLearningFiles.writeTable(dir, v, shape);
    ObjectNode c = PromptLearningFiles.config(baseModel, kind.name(), model.config().numHeads(), model.config().numLayers(),
        shape[0], model.config().hiddenSize());
    if (kind == Kind.P_TUNING) {
      c.put("encoder_reparameterization_type", "MLP");
      c.put("encoder_hidden_size", encoder.get(0).shape().get(0));
      c.put("encoder_num_layers", 2);
      c.put("encoder_dropout", 0.0);
    } else {
      c.put("prompt_tuning_init", "RANDOM");
    }
    PromptLearningFiles.writeConfig(dir, c);
  }

  /**
   * Loads a PEFT prompt-tuning or P-tuning adapter for inference (or further prompt tuning): its saved
   * prompt becomes the learned table.
   */
  public static PromptTuning load(CausalLM model, Path dir) throws IOException {
    PromptLearningFiles.readConfig(dir, "PROMPT_TUNING", "P_TUNING");
    long hidden = model.config().hiddenSize();
    NDArray t = PromptLearningFiles.readTable(model, dir, hidden, "the model's hidden size is " + hidden);
    PromptTuning p = new PromptTuning(model, Kind.PROMPT_TUNING, (int) t.getShape().get(0), 0, 0, null);
    p.table.replace(t);
    return p;
  }

}
