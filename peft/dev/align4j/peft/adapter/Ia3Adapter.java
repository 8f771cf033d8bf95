package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
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
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * IA3 on a model, with PEFT's defaults (target {@code k_proj, v_proj, down_proj}, feed-forward {@code
 * down_proj}) and its files ({@code adapter_config.json} with {@code peft_type: IA3}, tensors {@code
 * base_model.model.<module>.ia3_l}).
 */
public final class Ia3Adapter extends SingleAdapter {
  /** PEFT's default target modules for Llama-family models. */
  public static final List<String> DEFAULT_TARGETS = List.of("k_proj", "v_proj", "down_proj");
  /** PEFT's default feed-forward modules. */
  public static final List<String> DEFAULT_FEEDFORWARD = List.of("down_proj");

  private final CausalLM model;
  private final LinkedHashMap<String, Ia3Linear> layers = new LinkedHashMap<>();
  private final List<String> targets;
  private final List<String> feedforward;

  /** Wraps every targeted linear module of {@code model} (frozen) with a ones-initialised vector. */
  public Ia3Adapter(CausalLM model, List<String> targets, List<String> feedforward) {
    this(model, byLeaf(model, targets, feedforward), targets, feedforward);
  }

  private static LinkedHashMap<String, Boolean> byLeaf(CausalLM model, List<String> targets, List<String> feedforward) {
    if (!targets.containsAll(feedforward)) {
      throw new IllegalArgumentException("ia3: feedforward_modules " + feedforward + " must be among target_modules " + targets);
    }
    LinkedHashMap<String, Boolean> out = new LinkedHashMap<>();
    for (String path : model.linearModulePaths()) {
      String leaf = path.substring(path.lastIndexOf('.') + 1);
      if (targets.contains(leaf)) {
        out.put(path, feedforward.contains(leaf));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("ia3: no module matches target_modules " + targets);
    }
    return out;
  }

  /**
   * Wraps exactly the given modules (module path to whether it is a feed-forward module, whose input
   * rather than output is scaled), as PEFT selected them.
   */
  private Ia3Adapter(CausalLM model, Map<String, Boolean> modules, List<String> targets, List<String> feedforward) {
    this.model = model;
    this.targets = List.copyOf(targets);
    this.feedforward = List.copyOf(feedforward);
    model.setAllTrainable(false);
    for (Map.Entry<String, Boolean> e : modules.entrySet()) {
      String path = e.getKey();
      Linear l = model.linear(path);
      if (!(l instanceof DenseLinear dense)) {
        throw new IllegalStateException(path + " is already wrapped by " + l.getClass().getSimpleName());
      }
      boolean ff = e.getValue();
      Shape shape = ff ? new Shape(1, dense.inFeatures()) : new Shape(dense.outFeatures(), 1);
      NDArray ones = model.manager().ones(shape, DataType.FLOAT32);
      Parameter p = Parameter.master(PeftModel.PREFIX + path + ".ia3_l", ones, model.precision());
      p.setTrainable(true);
      Ia3Linear ia3 = new Ia3Linear(dense, p, ff, state);
      model.replaceLinear(path, ia3);
      layers.put(path, ia3);
    }
    state.setActive(NAME);
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.IA3;
  }

  /** The IA3 vectors. */
  @Override
  public List<Parameter> trainableParameters() {
    List<Parameter> out = new ArrayList<>();
    layers.values().forEach(l -> out.add(l.scale()));
    return out;
  }

  /** The IA3 layers by module path. */
  public Map<String, Ia3Linear> layers() {
    return java.util.Collections.unmodifiableMap(layers);
  }

  /** Saves in PEFT's format. */
  @Override
  public void save(Path dir, String baseModel) throws IOException {
    LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, Ia3Linear> e : layers.entrySet()) {
      NDArray x = e.getValue().scale().data();
      float[] v = x.toType(DataType.FLOAT32, false).toFloatArray();
      ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(v);
      tensors.put(PeftModel.PREFIX + e.getKey() + ".ia3_l", new TensorData(DType.F32, x.getShape().getShape(), b));
    }
    Files.createDirectories(dir);
    SafetensorsWriter.write(dir.resolve(PeftAdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
    ObjectNode c = new ObjectMapper().createObjectNode();
    c.putNull("auto_mapping");
    if (baseModel == null) {
      c.putNull("base_model_name_or_path");
    } else {
      c.put("base_model_name_or_path", baseModel);
    }
    c.put("fan_in_fan_out", false);
    var ff = c.putArray("feedforward_modules");
    new TreeSet<>(feedforward).forEach(ff::add);
    c.put("inference_mode", true);
    c.put("init_ia3_weights", true);
    c.putNull("modules_to_save");
    c.put("peft_type", "IA3");
    c.putNull("revision");
    var tm = c.putArray("target_modules");
    new TreeSet<>(targets).forEach(tm::add);
    c.put("task_type", "CAUSAL_LM");
    AtomicFiles.writeString(dir.resolve(PeftAdapterFiles.CONFIG), HfCheckpointWriter.prettySorted(c));
  }

  /** PEFT's IA3 default targets per family (peft.utils.constants). */
  static List<String> defaultTargets(ModelFamily f) {
    return f == ModelFamily.QWEN2 || f == ModelFamily.QWEN3 ? List.of("q_proj", "v_proj", "down_proj") : DEFAULT_TARGETS;
  }

  /**
   * Loads a PEFT IA3 adapter onto {@code model}: the modules PEFT targets (as for LoRA: names, full
   * paths, a regex, exclude_modules), feed-forward ones by {@code feedforward_modules} (a regex on the
   * whole name, or names the path ends with, PEFT's {@code _check_target_module_feedforward}).
   */
  public static Ia3Adapter load(CausalLM model, Path dir) throws IOException {
    Path cfgFile = dir.resolve(PeftAdapterFiles.CONFIG);
    JsonNode cfg = PeftAdapterFiles.readJson(dir);
    if (!"IA3".equals(cfg.path("peft_type").asText())) {
      throw new CheckpointFormatException(cfgFile, "peft_type '" + cfg.path("peft_type").asText() + "' is not IA3");
    }
    List<String> unsupported = UnsupportedKeys.ia3(cfg);
    if (!unsupported.isEmpty()) {
      throw new CheckpointFormatException(cfgFile, "not supported by align4j: " + String.join("; ", unsupported));
    }
    LinkedHashMap<String, Boolean> modules = new LinkedHashMap<>();
    List<String> targets = new ArrayList<>();
    List<String> ff = new ArrayList<>();
    try {
      TargetMatcher matcher = TargetMatcher.fromConfig(cfg, defaultTargets(model.config().family()));
      TargetMatcher.Selector ffSel = TargetMatcher.Selector.parse(cfg.get("feedforward_modules"), "feedforward_modules");
      if (ffSel == null) {
        ffSel = new TargetMatcher.Selector(DEFAULT_FEEDFORWARD, null);
      }
      for (String path : matcher.select(ModuleTree.of(model.config()), "ia3")) {
        boolean isFf = ffSel.regex() != null ? ffSel.regex().matcher(path).matches()
            : ffSel.names().stream().anyMatch(path::endsWith);
        modules.put(path, isFf);
        String leaf = path.substring(path.lastIndexOf('.') + 1);
        if (!targets.contains(leaf)) {
          targets.add(leaf);
        }
        if (isFf && !ff.contains(leaf)) {
          ff.add(leaf);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(cfgFile, e.getMessage());
    }
    Ia3Adapter a = new Ia3Adapter(model, modules, targets, ff);
    Path wfile = dir.resolve(PeftAdapterFiles.WEIGHTS);
    try (SafetensorsFile f = SafetensorsFile.open(wfile)) {
      for (Map.Entry<String, Ia3Linear> e : a.layers.entrySet()) {
        String name = PeftModel.PREFIX + e.getKey() + ".ia3_l";
        if (!f.tensors().containsKey(name)) {
          throw new CheckpointFormatException(wfile, "missing tensor '" + name + "'");
        }
        Parameter p = e.getValue().scale();
        if (!new Shape(f.info(name).shape()).equals(p.shape())) {
          throw new CheckpointFormatException(wfile, "tensor '" + name + "' has shape " + new Shape(f.info(name).shape())
              + " but the base model needs " + p.shape());
        }
        p.replace(model.manager().create(f.toFloatArray(name), p.shape()));
      }
    }
    return a;
  }

  /** Folds the vectors into the base weights (rows for output scales, columns for input scales). */
  public void merge() {
    for (Ia3Linear l : layers.values()) {
      Parameter w = l.base().weight();
      NDArray s = l.scale().data();                                          // [out, 1] or [1, in]
      NDArray merged = w.data().mul(s.toType(w.data().getDataType(), false));
      merged.attach(model.manager());
      w.replace(merged);
      if (!l.feedforward() && l.base().bias() != null) {
        Parameter b = l.base().bias();
        NDArray mb = b.data().mul(s.reshape(-1).toType(b.data().getDataType(), false));
        mb.attach(model.manager());
        b.replace(mb);
      }
      l.scale().replace(model.manager().ones(l.scale().shape(), DataType.FLOAT32));
    }
  }
}
