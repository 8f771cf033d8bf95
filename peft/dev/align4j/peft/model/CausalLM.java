package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.align4j.peft.kernels.Kernels;
import ai.djl.nn.core.Embedding;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A decoder-only causal language model of the Llama family (Llama, Mistral, Qwen2, Qwen3) over DJL.
 *
 * <p>Legend: B batch, T tokens in this chunk, S = cached + current tokens, H hidden size, V vocab,
 * D head dim.
 *
 * <p>The model owns its parameters under one manager; close it to free them. Forward results are
 * attached to the manager of the input ids, so a per-step sub-manager frees a step's activations.
 */
public final class CausalLM implements AutoCloseable {
  private final ModelConfig config;
  private final Precision precision;
  private final NDManager manager;
  private final LinkedHashMap<String, Parameter> parameters;
  private final Parameter embed;
  private final List<DecoderLayer> layers;
  private final RmsNorm finalNorm;
  private final LinkedHashMap<String, RmsNorm> norms = new LinkedHashMap<>();   // by module path
  private Linear lmHead;
  private final RotaryEmbedding rotary;
  private final boolean[] slides;
  private final AttentionImpl attention;
  private double neftuneAlpha;
  private boolean training;
  private Supplier<NDArray> virtualTokens;
  private Supplier<List<NDArray[]>> prefix;
  private Supplier<NDArray> embeddingTable;

  private CausalLM(
      ModelConfig config, Precision precision, NDManager manager,
      LinkedHashMap<String, Parameter> parameters, AttentionImpl attention) {
    this.config = config;
    this.precision = precision;
    this.manager = manager;
    this.parameters = parameters;
    this.embed = parameters.get("model.embed_tokens.weight");
    this.attention = attention;
    this.rotary = new RotaryEmbedding(config);
    this.slides = new boolean[config.numLayers()];
    if (config.slidingWindow() != null) {
      for (int l : config.slidingWindow().layers()) {
        slides[l] = true;
      }
    }
    AttentionKernel kernel = attention == AttentionImpl.FUSED
        ? FusedAttention::attend
        : AttentionKernel::composed;
    List<DecoderLayer> ls = new ArrayList<>();
    for (int i = 0; i < config.numLayers(); i++) {
      String p = WeightNames.layer(i);
      Attention attn = new Attention(
          dense(p + ".self_attn.q_proj"), dense(p + ".self_attn.k_proj"),
          dense(p + ".self_attn.v_proj"), dense(p + ".self_attn.o_proj"),
          config.family().qkNorm() ? newNorm(p + ".self_attn.q_norm.weight") : null,
          config.family().qkNorm() ? newNorm(p + ".self_attn.k_norm.weight") : null,
          config, precision, kernel);
      Mlp mlp = new Mlp(dense(p + ".mlp.gate_proj"), dense(p + ".mlp.up_proj"), dense(p + ".mlp.down_proj"));
      ls.add(new DecoderLayer(newNorm(p + ".input_layernorm.weight"), attn,
          newNorm(p + ".post_attention_layernorm.weight"), mlp));
    }
    this.layers = Collections.unmodifiableList(ls);
    this.finalNorm = newNorm("model.norm.weight");
    this.lmHead = new DenseLinear(
        config.tieWordEmbeddings() ? embed : parameters.get("lm_head.weight"), null);
  }

  private DenseLinear dense(String module) {
    return new DenseLinear(parameters.get(module + ".weight"), parameters.get(module + ".bias"));
  }

  private RmsNorm newNorm(String name) {
    RmsNorm n = new RmsNorm(parameters.get(name), config.rmsNormEps(), precision);
    norms.put(name.substring(0, name.length() - ".weight".length()), n);
    return n;
  }

  /** The RMS norm at a module path (e.g. {@code model.norm}, {@code model.layers.0.input_layernorm}). */
  public RmsNorm norm(String modulePath) {
    RmsNorm n = norms.get(modulePath);
    if (n == null) {
      throw new IllegalArgumentException("no norm module '" + modulePath + "' (have " + norms.keySet() + ")");
    }
    return n;
  }

  /**
   * Builds a model over named tensors. Every expected tensor must be present with its exact shape;
   * anything else that is not ignorable is an error. The tensors are attached to a new sub-manager
   * of {@code parent}, which the model owns; all start frozen.
   *
   * @param tensors Hugging Face name to tensor, already in the compute dtype (or float32 masters)
   */
  public static CausalLM create(
      ModelConfig config, Precision precision, AttentionImpl attention, NDManager parent,
      Map<String, NDArray> tensors) {
    Map<String, Shape> expected = WeightNames.expected(config);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Shape> e : expected.entrySet()) {
      NDArray t = tensors.get(e.getKey());
      if (t == null) {
        problems.add("missing tensor " + e.getKey() + " " + e.getValue());
      } else if (!t.getShape().equals(e.getValue())) {
        problems.add("tensor " + e.getKey() + " has shape " + t.getShape() + ", expected " + e.getValue());
      }
    }
    TreeSet<String> unexpected = new TreeSet<>();
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name) && !WeightNames.ignorable(name, config)) {
        unexpected.add(name);
      }
    }
    if (!unexpected.isEmpty()) {
      problems.add("unexpected tensors " + unexpected);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          config.family().modelType() + " model: " + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
              + (problems.size() > 8 ? " (and " + (problems.size() - 8) + " more)" : ""));
    }
    NDManager owned = parent.newSubManager();
    LinkedHashMap<String, Parameter> params = new LinkedHashMap<>();
    for (String name : expected.keySet()) {
      NDArray t = tensors.get(name);
      t.attach(owned);
      params.put(name, new Parameter(name, t, precision));
    }
    return new CausalLM(config, precision, owned, params, attention);
  }

  /**
   * Runs the decoder.
   *
   * @param in ids, padding mask and positions of this chunk
   * @param cache keys/values of earlier chunks, extended in place; {@code null} for a plain forward
   * @return final hidden states {@code [B, T, H]} in the compute dtype
   */
  public NDArray hiddenStates(ModelInput in, KvCache cache) {
    int past = cache == null ? 0 : cache.length();
    NDArray prompt = virtualTokens == null ? null : virtualTokens.get();          // [n, H] or null
    if (prompt != null) {
      return VirtualPositions.promptTuning(this, in, cache, past, prompt);
    }
    List<NDArray[]> kv = prefix == null ? null : prefix.get();                     // per layer [K, n, D] x2
    if (kv != null) {
      return VirtualPositions.prefixTuning(this, in, cache, kv);
    }
    NDArray x = embed(in);                                                        // [B, T, H]
    // a one-token step over a cache that carries its padding reads the mask on the device
    NDArray padding = cache == null || in.attentionMask() != null || in.length() != 1
        ? null : cache.keyMask(in.inputIds().getManager(), past + 1);            // [B, 1, 1, S] or null
    LayerContext ctx = context(in, past, padding);                                // RoPE tables, masks
    for (int i = 0; i < layers.size(); i++) {
      x = layer(i, x, ctx, cache);                                                // [B, T, H]
    }
    if (cache != null) {
      cache.advance(in.length());
    }
    return finalNorm.forward(x);                                                  // [B, T, H]
  }

  /** {@link #hiddenStates} of {@code in} split at layer boundaries (see {@link LayerPlan}). */
  public LayerPlan layerPlan(ModelInput in) {
    NDArray prompt = virtualTokens == null ? null : virtualTokens.get();          // [n, H] or null
    if (prompt != null) {
      return VirtualPositions.promptTuningPlan(this, in, (int) prompt.getShape().get(0), virtualTokens);
    }
    List<NDArray[]> kv = prefix == null ? null : prefix.get();                     // per layer [K, n, D] x2
    if (kv != null) {
      return VirtualPositions.prefixTuningPlan(this, in, (int) kv.get(0)[0].getShape().get(1), prefix);
    }
    LayerContext ctx = context(in, 0);                                            // RoPE tables, mask
    return new LayerPlan() {
      @Override
      public NDArray embed() {
        return CausalLM.this.embed(in);                                           // [B, T, H]
      }

      @Override
      public NDArray layer(int i, NDArray x) {
        return CausalLM.this.layer(i, x, ctx);                                    // [B, T, H]
      }

      @Override
      public NDArray finalHidden(NDArray x) {
        return finalNorm.forward(x);                                              // [B, T, H]
      }

      @Override
      public boolean embedTrains() {
        return false;
      }
    };
  }

  /**
   * Every layer's hidden states, as transformers' {@code output_hidden_states}: {@code L + 1} arrays
   * {@code [B, T, H]}, the embeddings (index 0), the output of decoder layer {@code k - 1} (index
   * {@code k}) and, at index {@code L}, the final hidden states (after the final norm, equal to
   * {@link #hiddenStates}). Upcast to float32 (float64 under FLOAT64); virtual positions of prompt
   * tuning are dropped. For probes: run without autograd.
   */
  public List<NDArray> layerHiddenStates(ModelInput in) {
    LayerPlan plan = layerPlan(in);
    int t = in.length();
    List<NDArray> out = new ArrayList<>(layers.size() + 1);
    NDArray x = plan.embed();                                                     // [B, T', H]
    out.add(Casts.upcast(lastPositions(x, t), precision));
    for (int i = 0; i < layers.size(); i++) {
      x = plan.layer(i, x);                                                       // [B, T', H]
      out.add(Casts.upcast(i == layers.size() - 1 ? plan.finalHidden(x) : lastPositions(x, t), precision));
    }
    return out;
  }

  /** The last {@code t} positions of {@code [B, T', H]} (T' > t with prompt tuning's virtual tokens). */
  private static NDArray lastPositions(NDArray x, int t) {
    long all = x.getShape().get(1);
    return all == t ? x : x.get(":, " + (all - t) + ":, :");                     // [B, T, H]
  }

  /**
   * Sets (or clears, with null) the source of prefix-tuning keys and values: per layer {@code [K, n,
   * D]} keys and values in the compute dtype; it may return null to switch the prefix off for a call.
   */
  public void setPrefix(Supplier<List<NDArray[]>> source) {
    this.prefix = source;
  }

  /**
   * Sets (or clears, with null) the source of prompt-tuning embeddings {@code [n, H]} in the compute
   * dtype; it may return null to switch them off for a call (adapters disabled).
   */
  public void setVirtualTokens(Supplier<NDArray> source) {
    this.virtualTokens = source;
  }

  /**
   * Sets (or clears, with null) a source of the input embedding table {@code [V, H]} in the compute
   * dtype that replaces {@code model.embed_tokens.weight} for lookups while it returns non-null (PEFT's
   * {@code modules_to_save} copy of the embedding); the output head is not affected.
   */
  public void setEmbeddingTable(Supplier<NDArray> source) {
    this.embeddingTable = source;
  }

  /** Token embeddings {@code [B, T, H]} (with NEFTune noise in training when enabled). */
  public NDArray embed(ModelInput in) {
    NDArray table = embeddingTable == null ? null : embeddingTable.get();
    NDArray x = Embedding.embedding(in.inputIds(), table != null ? table : embed.forCompute(in.inputIds().getManager()),
        SparseFormat.DENSE).singletonOrThrow();                                   // [B, T, H]
    if (training && neftuneAlpha > 0) {
      // NEFTune (Jain et al. 2023, Alg. 1): uniform noise of scale alpha / sqrt(T * H) on embeddings
      float scale = (float) (neftuneAlpha / Math.sqrt((double) in.length() * config.hiddenSize()));
      NDArray noise = in.inputIds().getManager().randomUniform(-scale, scale, x.getShape());
      x = x.add(Casts.constant(noise, precision));
    }
    return x;
  }

  /** RoPE tables and the attention mask of a chunk that follows {@code past} cached positions. */
  public LayerContext context(ModelInput in, int past) {
    return context(in, past, null);
  }

  /** As {@link #context(ModelInput, int)}, with the additive mask given ({@code [B, 1, T, S]} float32) when not null. */
  private LayerContext context(ModelInput in, int past, NDArray givenMask) {
    NDManager m = in.inputIds().getManager();
    int b = in.batch();
    int t = in.length();
    NDArray pos = in.positionIds() != null
        ? in.positionIds()
        : m.arange(past, past + t, 1, DataType.INT64).reshape(1, t).repeat(0, b);   // [B, T]
    NDList tables = rotary.tables(m, pos);
    NDArray cos = Casts.constant(tables.get(0), precision);                       // [B, T, D]
    NDArray sin = Casts.constant(tables.get(1), precision);                       // [B, T, D]
    // the fused kernel's own causal path needs no mask when nothing is padded or cached
    boolean plainCausal = attention == AttentionImpl.FUSED && in.attentionMask() == null && past == 0
        && in.segmentIds() == null;
    NDArray mask = givenMask != null ? Casts.constant(givenMask, precision)
        : plainCausal ? null : Casts.constant(
        AttentionMask.causal(m, in.attentionMask(), in.segmentIds(), b, t, past), precision); // [B, 1, T, S]
    // sliding-window layers get their own mask once the window is shorter than the keys
    SlidingWindow window = config.slidingWindow();
    NDArray slidingMask = null;
    if (window != null && window.activeFor((long) past + t)) {
      // a given (cache-read) padding mask carries no window: add the window's causal band to it
      NDArray band = givenMask != null
          ? givenMask.add(AttentionMask.causal(m, null, null, b, t, past, window.size()))
          : AttentionMask.causal(m, in.attentionMask(), in.segmentIds(), b, t, past, window.size());
      slidingMask = Casts.constant(band, precision);                             // [B, 1, T, S]
    }
    return new LayerContext(cos, sin, mask, slidingMask);
  }

  /** The mask layer {@code i} attends with. */
  private NDArray maskFor(int i, LayerContext ctx) {
    return ctx.slidingMask() != null && slides[i] ? ctx.slidingMask() : ctx.mask();
  }

  /** Decoder layer {@code i} alone (no cache): {@code [B, T, H] -> [B, T, H]}. */
  public NDArray layer(int i, NDArray x, LayerContext ctx) {
    return layer(i, x, ctx, null);
  }

  /**
   * Decoder layer {@code i} with a cache (or null). Without a cache, every intermediate array of the
   * layer is closed when it returns, as Python frees a tensor at its last reference: autograd keeps
   * its own reference to what backward needs, and DJL would otherwise hold every intermediate until
   * the step's manager closes (2.6 GB instead of 1.1 GB of activations on the SmolLM2-135M shape at
   * 1 x 512). With a cache too: the cache takes its buffers out of the scope ({@link KvCache}), so a
   * generation's prefill holds one layer's intermediates rather than all of them (1.3 GB at 8 prompts
   * of ~37 tokens on that shape).
   */
  NDArray layer(int i, NDArray x, LayerContext ctx, KvCache cache) {
    try (NDScope scope = new NDScope()) {
      NDArray y = layers.get(i).forward(x, ctx.cos(), ctx.sin(), maskFor(i, ctx), cache, i);
      NDScope.unregister(y);
      return y;
    }
  }

  /** The final RMSNorm: the last decoder layer's output to final hidden states {@code [B, T, H]}. */
  public NDArray finalNorm(NDArray x) {
    return finalNorm.forward(x);
  }

  /** Final norm and output head: hidden {@code [B, T, H]} to logits {@code [B, T, V]}. */
  public NDArray head(NDArray x) {
    return logits(finalNorm.forward(x));
  }

  /** Next-token logits {@code [B, T, V]} in float32 (float64 under FLOAT64). */
  public NDArray logits(NDArray hidden) {
    return Casts.upcast(lmHead.forward(hidden), precision);
  }

  /** {@code logits(hiddenStates(in, null))}. */
  public NDArray logits(ModelInput in) {
    return logits(hiddenStates(in, null));
  }

  /**
   * Natural-log probability of each label under the logits: {@code log_softmax(logits)[label]}.
   *
   * @param logits {@code [B, T, V]} float32/float64
   * @param labels {@code [B, T]} int64 token ids (any value for ignored positions, e.g. 0)
   * @return {@code [B, T]}
   */
  public static NDArray tokenLogProbs(NDArray logits, NDArray labels) {
    NDArray logp = logits.logSoftmax(-1);                                         // [B, T, V]
    return logp.gather(labels.expandDims(-1), -1).squeeze(-1);                    // [B, T]
  }

  /**
   * Mean next-token cross-entropy over positions whose weight is 1: position {@code t} predicts
   * {@code ids[t+1]}.
   *
   * @param weights {@code [B, T-1]} float 0/1 (which targets count), or {@code null} for all
   */
  public NDArray nextTokenLoss(ModelInput in, NDArray weights) {
    NDArray sum = nextTokenNllSum(hiddenStates(in, null), in.inputIds(), weights);
    if (weights == null) {
      Shape s = in.inputIds().getShape();
      return sum.div(Kernels.scalar(sum, (double) s.get(0) * (s.get(1) - 1)));
    }
    return sum.div(weights.toType(sum.getDataType(), false).sum());
  }

  /**
   * Sum of {@code weights * -log p(ids[t+1])} over positions {@code t < T-1}, from final hidden
   * states. A plain output head computes it chunk by chunk (see {@link ChunkedCrossEntropy}): the
   * whole {@code [B, T, V]} logits never exist, and gradients are exact; other heads (adapters on
   * {@code lm_head}) go through {@link #logits(NDArray)}.
   *
   * @param hidden {@code [B, T, H]} after the final norm (from {@link #hiddenStates})
   * @param ids {@code [B, T]} int64
   * @param weights {@code [B, T-1]} float token weights, or null for all ones
   * @return a float32 scalar (float64 under FLOAT64)
   */
  public NDArray nextTokenNllSum(NDArray hidden, NDArray ids, NDArray weights) {
    NDArray target = ids.get(":, 1:");                                            // [B, T-1]
    if (!(lmHead instanceof DenseLinear d) || d.bias() != null) {
      NDArray pred = logits(hidden).get(":, :-1, :");                             // [B, T-1, V]
      NDArray nll = tokenLogProbs(pred, target).neg();                            // [B, T-1]
      return weights == null ? nll.sum() : nll.mul(weights.toType(nll.getDataType(), false)).sum();
    }
    long h = hidden.getShape().get(2);
    NDArray rows = hidden.get(":, :-1, :").reshape(-1, h);                        // [N, H], N = B (T-1)
    NDArray w = d.weight().forCompute(hidden.getManager());                      // [V, H]
    return ChunkedCrossEntropy.nllSum(rows, w, target.reshape(-1), weights == null ? null : weights.reshape(-1),
        precision, ChunkedCrossEntropy.rowsFor(rows.getShape().get(0), w.getShape().get(0)));
  }

  /**
   * Training mode: enables NEFTune noise (when its alpha is set). Dropout of adapters is switched by
   * their own state.
   */
  public void setTraining(boolean on) {
    this.training = on;
  }

  /** NEFTune's alpha (0 disables; the paper uses 5 to 15). */
  public void setNeftuneAlpha(double alpha) {
    if (alpha < 0) {
      throw new IllegalArgumentException("neftune_noise_alpha must be >= 0");
    }
    this.neftuneAlpha = alpha;
  }

  /** Architecture. */
  public ModelConfig config() {
    return config;
  }

  /** Compute precision. */
  public Precision precision() {
    return precision;
  }

  /** Parameters by Hugging Face name, in checkpoint order (a tied head appears once). */
  public Map<String, Parameter> parameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** The manager that owns the parameters. */
  public NDManager manager() {
    return manager;
  }

  /** Parameters marked trainable. */
  public List<Parameter> trainableParameters() {
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : parameters.values()) {
      if (p.trainable()) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Removes a parameter no module reads any more (its layer's weight was quantised) and frees its
   * memory; saving such a model as a full checkpoint is then impossible.
   */
  public void releaseParameter(String name) {
    Parameter p = parameters.remove(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    p.data().close();
  }

  /** Marks every parameter trainable (full fine-tuning) or frozen. */
  public void setAllTrainable(boolean on) {
    for (Parameter p : parameters.values()) {
      p.setTrainable(on);
    }
  }

  /** The linear module at a PEFT module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
  public Linear linear(String modulePath) {
    return slot(modulePath).get();
  }

  /** Replaces the linear module at a path (adapters wrap the one returned by {@link #linear}). */
  public void replaceLinear(String modulePath, Linear replacement) {
    Linear old = linear(modulePath);
    if (old.inFeatures() != replacement.inFeatures() || old.outFeatures() != replacement.outFeatures()) {
      throw new IllegalArgumentException(modulePath + ": replacement has a different shape");
    }
    slot(modulePath).set(replacement);
  }

  /** Every linear module path, in order, head last. */
  public List<String> linearModulePaths() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      out.addAll(WeightNames.linearModules(i).values());
    }
    out.add("lm_head");
    return out;
  }

  private LinearSlot slot(String path) {
    return LinearSlot.resolve(path, layers, new LinearSlot(() -> lmHead, l -> lmHead = l));
  }

  @Override
  public void close() {
    manager.close();
  }
}
