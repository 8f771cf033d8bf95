package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A base model with named LoRA/DoRA adapters, as PEFT's {@code PeftModel}: add adapters, pick the
 * active one, switch them off for a scope (the base then serves as the frozen reference model, with
 * no second copy in memory), merge and unmerge.
 *
 * <p>Parameter names follow PEFT's in-memory form, {@code base_model.model.<module>.lora_A.<adapter>.weight};
 * the adapter name is dropped on save.
 */
public final class PeftModel {
  /** PEFT's prefix in front of every module path. */
  public static final String PREFIX = "base_model.model.";

  private final CausalLM model;
  private final AdapterState state = new AdapterState();
  private final LinkedHashMap<String, LoraConfig> configs = new LinkedHashMap<>();
  private final LinkedHashMap<String, LoraLinear> layers = new LinkedHashMap<>();
  private final LinkedHashMap<String, ModulesToSaveLinear> saved = new LinkedHashMap<>();
  private ModulesToSaveEmbedding savedEmbedding;
  private final LinkedHashMap<String, ModulesToSaveNorm> savedNorms = new LinkedHashMap<>();
  private final List<String> trainable = new ArrayList<>();
  private final LinkedHashMap<String, ScoreHead> heads = new LinkedHashMap<>();

  /** Wraps a model; its base parameters are frozen. */
  public PeftModel(CausalLM model) {
    this.model = model;
    model.setAllTrainable(false);
  }

  /** The wrapped model (its forward includes the active adapter). */
  public CausalLM model() {
    return model;
  }

  /** The shared switches. */
  public AdapterState state() {
    return state;
  }

  /**
   * Adds a LoRA adapter on every targeted linear module, initialised from {@code seed}, and makes it
   * active.
   */
  public void addLora(String name, LoraConfig cfg, long seed) {
    LinkedHashMap<String, LoraConfig> modules = new LinkedHashMap<>();
    for (String path : model.linearModulePaths()) {
      if (cfg.targets(path.substring(path.lastIndexOf('.') + 1))) {
        modules.put(path, cfg);
      }
    }
    if (modules.isEmpty()) {
      throw new IllegalArgumentException("adapter '" + name + "': no module matches target_modules " + cfg.targetModules());
    }
    addLora(name, cfg, modules, seed);
  }

  /**
   * Adds a LoRA adapter on exactly the given linear modules, each with its own rank, alpha and variant
   * (PEFT's {@code rank_pattern}/{@code alpha_pattern}, resolved by the caller, e.g. {@link PeftLoraSpec}),
   * initialised from {@code seed}, and makes it active. {@code cfg} is the adapter's config as
   * {@link #configs()} reports it; its {@code modules_to_save} are wrapped.
   */
  public void addLora(String name, LoraConfig cfg, Map<String, LoraConfig> modules, long seed) {
    if (configs.containsKey(name)) {
      throw new IllegalArgumentException("adapter '" + name + "' already exists");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    NDManager m = model.manager();
    for (Map.Entry<String, LoraConfig> e : modules.entrySet()) {
      String path = e.getKey();
      LoraConfig mc = e.getValue();
      LoraLinear lora = wrap(path);
      long in = lora.inFeatures();
      long out = lora.outFeatures();
      String p = PREFIX + path;
      Parameter a = param(p + ".lora_A." + name + ".weight", initA(m, rng.split(), mc, in), true);
      Parameter b = param(p + ".lora_B." + name + ".weight", m.zeros(new Shape(out, mc.r()), a.data().getDataType()), true);
      Parameter mag = null;
      if (mc.useDora()) {
        NDArray norm;
        try (NDManager scratch = m.newSubManager()) {
          norm = DoraNorm.rowNorm(lora.baseWeight(scratch), a.data(), b.data(), mc.scaling());
          norm.attach(m);
        }
        mag = param(p + ".lora_magnitude_vector." + name + ".weight", norm, true);
      }
      lora.put(name, new LoraWeights(a, b, mag, mc.scaling(), mc.dropout()));
    }
    for (String module : cfg.modulesToSave()) {
      addModuleToSave(module, name);
    }
    configs.put(name, cfg);
    setActive(name);
  }

  /**
   * Wraps every module whose name ends with {@code module} (PEFT's {@code _set_trainable} test, a plain
   * suffix) with a trainable copy that serves while {@code adapter} is active: linear layers and the
   * input embedding.
   */
  private void addModuleToSave(String module, String adapter) {
    int found = 0;
    for (ModuleTree.Module mod : ModuleTree.of(model.config())) {
      if (mod.path().isEmpty() || !mod.path().endsWith(module)) {
        continue;
      }
      found++;
      switch (mod.kind()) {
        case LINEAR -> addLinearToSave(mod.path(), adapter);
        case EMBEDDING -> {
          if (savedEmbedding == null) {
            savedEmbedding = new ModulesToSaveEmbedding(model, param(PREFIX + mod.path() + ".weight",
                model.parameters().get(mod.path() + ".weight").data().duplicate(), true), state);
          }
          savedEmbedding.addOwner(adapter);
        }
        case NORM -> savedNorms.computeIfAbsent(mod.path(), p -> new ModulesToSaveNorm(model.norm(p), p, state))
            .addOwner(adapter, param(PREFIX + mod.path() + ".modules_to_save." + adapter + ".weight",
                model.norm(mod.path()).gain().data().duplicate(), true));
        default -> throw new IllegalArgumentException("modules_to_save: '" + module + "' names " + mod.path()
            + ", which is neither a linear layer, the embedding nor a norm");
      }
    }
    if (found == 0) {
      throw new IllegalArgumentException("modules_to_save: no module named '" + module + "'");
    }
  }

  private void addLinearToSave(String path, String adapter) {
    if (saved.containsKey(path)) {
      saved.get(path).addOwner(adapter);
      return;
    }
    Linear l = model.linear(path);
    if (!(l instanceof DenseLinear dense)) {
      throw new IllegalStateException("modules_to_save: " + path + " is " + l.getClass().getSimpleName() + ", not a dense layer");
    }
    Parameter w = param(PREFIX + path + ".weight", dense.weight().data().duplicate(), true);
    Parameter b = dense.bias() == null ? null : param(PREFIX + path + ".bias", dense.bias().data().duplicate(), true);
    ModulesToSaveLinear m = new ModulesToSaveLinear(dense, w, b, state);
    m.addOwner(adapter);
    model.replaceLinear(path, m);
    saved.put(path, m);
  }

  /** The {@code modules_to_save} copy of the input embedding ({@code model.embed_tokens}), or null. */
  public ModulesToSaveEmbedding savedEmbedding() {
    return savedEmbedding;
  }

  /** The {@code modules_to_save} copies by module path. */
  public Map<String, ModulesToSaveLinear> modulesToSave() {
    return Collections.unmodifiableMap(saved);
  }

  /** The {@code modules_to_save} copies of norms by module path. */
  public Map<String, ModulesToSaveNorm> savedNorms() {
    return Collections.unmodifiableMap(savedNorms);
  }

  /** The {@code modules_to_save} copies an adapter owns (embedding, linear layers, norms), trained with it. */
  public List<Parameter> savedModuleParameters(String adapter) {
    require(adapter);
    List<Parameter> out = new ArrayList<>();
    if (savedEmbedding != null && savedEmbedding.owners().contains(adapter)) {
      out.add(savedEmbedding.weight());
    }
    for (ModulesToSaveLinear m : saved.values()) {
      if (m.owners().contains(adapter)) {
        out.add(m.copy().weight());
        if (m.copy().bias() != null) {
          out.add(m.copy().bias());
        }
      }
    }
    for (ModulesToSaveNorm n : savedNorms.values()) {
      if (n.copies().containsKey(adapter)) {
        out.add(n.copies().get(adapter));
      }
    }
    return out;
  }

  /**
   * Adds {@code modules_to_save} to an existing adapter (e.g. {@code model.norm} to a policy loaded from
   * an SFT adapter that had none): each module whose name ends with one of {@code modules} gets a trainable
   * copy, started from the base's values, serving while the adapter is active; the adapter's config lists
   * them, so they are saved with it. Names the adapter already has are skipped.
   */
  public void addModulesToSave(String adapter, List<String> modules) {
    LoraConfig cfg = configs.get(require(adapter));
    List<String> all = new ArrayList<>(cfg.modulesToSave());
    for (String m : modules) {
      if (!all.contains(m)) {
        addModuleToSave(m, adapter);
        all.add(m);
      }
    }
    configs.put(adapter, cfg.withModulesToSave(all));
    setTrainable(trainable.toArray(new String[0]));
  }

  private Parameter param(String name, NDArray data, boolean trainable) {
    data.attach(model.manager());
    Parameter p = Parameter.master(name, data, model.precision());   // never rounded when frozen
    p.setTrainable(trainable);
    return p;
  }

  private static NDArray initA(NDManager m, SplittableRandom rng, LoraConfig cfg, long in) {
    float[] v = new float[(int) (cfg.r() * in)];
    double bound = 1.0 / Math.sqrt(in);   // kaiming_uniform(a=sqrt 5): gain sqrt(1/3) * sqrt(3 / fan_in)
    for (int i = 0; i < v.length; i++) {
      v[i] = cfg.init() == LoraInit.GAUSSIAN
          ? (float) (gaussian(rng) / cfg.r())
          : (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return m.create(v, new Shape(cfg.r(), in));
  }

  private static double gaussian(SplittableRandom rng) {
    return Math.sqrt(-2 * Math.log(1.0 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  private LoraLinear wrap(String path) {
    LoraLinear existing = layers.get(path);
    if (existing != null) {
      return existing;
    }
    Linear l = model.linear(path);
    if (!(l instanceof DenseLinear) && !(l instanceof dev.align4j.peft.quant.Nf4Linear)) {
      throw new IllegalStateException(path + " is already wrapped by " + l.getClass().getSimpleName());
    }
    LoraLinear lora = new LoraLinear(l, state);
    model.replaceLinear(path, lora);
    layers.put(path, lora);
    return lora;
  }

  /**
   * Makes {@code name} the only adapter used by forward and the only one that trains (PEFT's
   * {@code set_adapter}). Use {@link #setTrainable} and {@link #use} to choose them separately.
   */
  public void setActive(String name) {
    require(name);
    setTrainable(name);
    state.setActive(name);
  }

  /**
   * Exactly the named adapters train (their parameters are returned by {@link #trainableParameters});
   * the others are frozen, keeping their float32 masters. Which adapters a forward uses is chosen
   * independently ({@link #use}).
   */
  public void setTrainable(String... names) {
    Set<String> on = new HashSet<>();
    for (String n : names) {
      on.add(require(n));
    }
    for (LoraLinear l : layers.values()) {
      for (Map.Entry<String, LoraWeights> e : l.adapters().entrySet()) {
        boolean t = on.contains(e.getKey());
        e.getValue().a().setTrainable(t);
        e.getValue().b().setTrainable(t);
        if (e.getValue().magnitude() != null) {
          e.getValue().magnitude().setTrainable(t);
        }
      }
    }
    trainable.clear();
    for (String n : configs.keySet()) {
      if (on.contains(n)) {
        trainable.add(n);
      }
    }
    heads.forEach((n, h) -> h.weight().setTrainable(on.contains(n)));
    for (ModulesToSaveLinear m : saved.values()) {
      boolean t = m.owners().stream().anyMatch(on::contains);
      m.copy().weight().setTrainable(t);
      if (m.copy().bias() != null) {
        m.copy().bias().setTrainable(t);
      }
    }
    savedNorms.values().forEach(n -> n.copies().forEach((a, c) -> c.setTrainable(on.contains(a))));
  }

  /** The adapters that train, in the order they were added. */
  public List<String> trainableAdapters() {
    return List.copyOf(trainable);
  }

  private String require(String name) {
    if (!configs.containsKey(name)) {
      throw new IllegalArgumentException("no adapter named '" + name + "' (have " + configs.keySet() + ")");
    }
    return name;
  }

  /**
   * Until the returned scope closes, a forward uses exactly the named adapters (their contributions
   * add up, as PEFT's forward with several active adapters), whichever of them train. PPO: {@code
   * use("policy")} for the policy forward, {@code use("value")} for the value forward.
   */
  public AdapterScope use(String... names) {
    for (String n : names) {
      require(n);
    }
    return state.use(List.of(names));
  }

  /**
   * Switches every adapter off until the returned scope closes: inside it, forward is the base model,
   * the reference policy of DPO and PPO (no second copy in memory).
   */
  public AdapterScope disabled() {
    return state.disabled();
  }

  /** {@link #disabled()} under its former name. */
  public AdapterScope disableAdapters() {
    return disabled();
  }

  /** Adapter {@code name} as an {@link Adapter} (its parameters, files, scopes). */
  public LoraAdapter adapter(String name) {
    return new LoraAdapter(this, require(name));
  }

  /** Every adapter's name, in the order added. */
  public List<String> adapterNames() {
    return List.copyOf(configs.keySet());
  }

  /**
   * Folds the active adapter into the base weights and says what precision the merged weights have:
   * a 4-bit (NF4) base is dequantised to float32 first, since NF4 cannot hold {@code W + s B A}.
   */
  public String merge() {
    String name = requireActive();
    // (a norm's copy is not tied to anything: it merges on any model)
    if ((!saved.isEmpty() || savedEmbedding != null) && model.config().tieWordEmbeddings()) {
      // the copy replaces one side of a tied pair: the merged model would need untied embeddings
      throw new IllegalStateException("modules_to_save " + savedModules() + " on a model with tied embeddings"
          + " (tie_word_embeddings=true) cannot be merged into a tied checkpoint; use the adapter unmerged");
    }
    boolean fromNf4 = false;
    for (LoraLinear l : layers.values()) {
      l.merge(name);
      fromNf4 |= l.mergedFromNf4();
    }
    // modules_to_save: the trained copy becomes the module (PEFT's merge_and_unload)
    saved.values().forEach(ModulesToSaveLinear::merge);
    if (savedEmbedding != null) {
      savedEmbedding.merge();
    }
    savedNorms.values().forEach(n -> n.merge(name));
    return fromNf4 ? "float32 (dequantised from NF4; unmerge restores the 4-bit weights)"
        : model.precision().masterType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  /** Restores the exact base weights. */
  public void unmerge() {
    for (LoraLinear l : layers.values()) {
      l.unmerge();
    }
    saved.values().forEach(ModulesToSaveLinear::unmerge);
    if (savedEmbedding != null) {
      savedEmbedding.unmerge();
    }
    savedNorms.values().forEach(ModulesToSaveNorm::unmerge);
  }

  private List<String> savedModules() {
    List<String> out = new ArrayList<>(saved.keySet());
    if (savedEmbedding != null) {
      out.add(0, "model.embed_tokens");
    }
    return out;
  }

  private String requireActive() {
    if (state.active() == null) {
      throw new IllegalStateException("no active adapter");
    }
    return state.active();
  }

  /** The parameters of the trainable adapters (and their modules_to_save copies), PEFT in-memory names. */
  public List<Parameter> trainableParameters() {
    List<Parameter> out = new ArrayList<>();
    if (savedEmbedding != null && savedEmbedding.owners().stream().anyMatch(trainable::contains)) {
      out.add(savedEmbedding.weight());
    }
    for (ModulesToSaveLinear m : saved.values()) {
      if (m.owners().stream().anyMatch(trainable::contains)) {
        out.add(m.copy().weight());
        if (m.copy().bias() != null) {
          out.add(m.copy().bias());
        }
      }
    }
    for (ModulesToSaveNorm n : savedNorms.values()) {
      n.copies().forEach((a, c) -> {
        if (trainable.contains(a)) {
          out.add(c);
        }
      });
    }
    for (String name : trainable) {
      out.addAll(parametersOf(name));
    }
    for (String name : trainable) {
      if (heads.containsKey(name)) {
        out.add(heads.get(name).weight());
      }
    }
    return out;
  }

  /**
   * Adds a scalar head ({@code score}: a reward model's, or PPO's value head) to adapter {@code
   * adapter}: {@code [numLabels, H]}, trained when the adapter trains, saved with it as PEFT's
   * {@code modules_to_save} {@code score} ({@code task_type: SEQ_CLS}).
   */
  public ScoreHead addScoreHead(String adapter, int numLabels, long seed) {
    require(adapter);
    if (heads.containsKey(adapter)) {
      throw new IllegalArgumentException("adapter '" + adapter + "' already has a score head");
    }
    ScoreHead h = ScoreHead.create(model, PREFIX + ScoreHead.MODULE + ".modules_to_save." + adapter + ".weight",
        numLabels, seed);
    h.weight().setTrainable(trainable.contains(adapter));
    heads.put(adapter, h);
    return h;
  }

  /** Adapter {@code adapter}'s score head, or null when it has none. */
  public ScoreHead scoreHead(String adapter) {
    return heads.get(require(adapter));
  }

  /** The LoRA (and DoRA) parameters of one adapter, module by module. */
  public List<Parameter> parametersOf(String name) {
    require(name);
    List<Parameter> out = new ArrayList<>();
    for (LoraLinear l : layers.values()) {
      LoraWeights w = l.adapters().get(name);
      if (w != null) {
        out.add(w.a());
        out.add(w.b());
        if (w.magnitude() != null) {
          out.add(w.magnitude());
        }
      }
    }
    return out;
  }

  /** Adapter configs by name. */
  public Map<String, LoraConfig> configs() {
    return Collections.unmodifiableMap(configs);
  }

  /** The LoRA layers by module path. */
  public Map<String, LoraLinear> loraLayers() {
    return Collections.unmodifiableMap(layers);
  }
}
