package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.io.HostFloats;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.io.SafetensorsWriter;
import dev.align4j.peft.io.TensorData;
import dev.align4j.peft.io.TensorInfo;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * LoRA adapters in Hugging Face PEFT's on-disk format: {@code adapter_config.json} (PEFT's keys,
 * sorted, 2-space indent; unknown keys tolerated on load) and {@code adapter_model.safetensors} with
 * PEFT's names: {@code base_model.model.<module>.lora_A.weight [r, in]}, {@code ...lora_B.weight
 * [out, r]}, DoRA's {@code ...lora_magnitude_vector [out]}; the adapter name is not in the file.
 */
public final class PeftAdapterFiles {
  /** The config file name. */
  public static final String CONFIG = "adapter_config.json";
  /** The weights file name. */
  public static final String WEIGHTS = "adapter_model.safetensors";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile(
      "base_model\\.model\\.(.+)\\.(lora_A\\.weight|lora_B\\.weight|lora_magnitude_vector)");

  private PeftAdapterFiles() {}

  /** Saves adapter {@code name} of {@code peft} into {@code dir}. */
  public static void save(PeftModel peft, String name, Path dir, String baseModelNameOrPath) throws IOException {
    LoraConfig cfg = peft.configs().get(name);
    if (cfg == null) {
      throw new IllegalArgumentException("no adapter named '" + name + "'");
    }
    LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
    TreeSet<String> leaves = new TreeSet<>();
    TreeSet<String> paths = new TreeSet<>();
    LinkedHashMap<String, Double> ranks = new LinkedHashMap<>();
    LinkedHashMap<String, Double> alphas = new LinkedHashMap<>();
    for (Map.Entry<String, LoraLinear> e : peft.loraLayers().entrySet()) {
      LoraWeights w = e.getValue().adapters().get(name);
      if (w == null) {
        continue;
      }
      String p = PeftModel.PREFIX + e.getKey();
      leaves.add(e.getKey().substring(e.getKey().lastIndexOf('.') + 1));
      paths.add(e.getKey());
      // a module whose rank or alpha differs from the config's (loaded with rank_pattern/alpha_pattern)
      // gets its own pattern key: the escaped full path matches only itself under PEFT's get_pattern_key
      long r = w.a().shape().get(0);
      double alpha = cfg.useRslora() ? w.scaling() * Math.sqrt(r) : w.scaling() * r;
      String key = e.getKey().replace(".", "\\.");
      if (r != cfg.r()) {
        ranks.put(key, (double) r);
      }
      if (Math.abs(alpha - cfg.alpha()) > 1e-9 * Math.max(1, Math.abs(alpha))) {
        alphas.put(key, alpha);
      }
      tensors.put(p + ".lora_A.weight", f32(w.a()));
      tensors.put(p + ".lora_B.weight", f32(w.b()));
      if (w.magnitude() != null) {
        tensors.put(p + ".lora_magnitude_vector", f32(w.magnitude()));
      }
    }
    if (peft.savedEmbedding() != null && peft.savedEmbedding().owners().contains(name)) {
      tensors.put(PeftModel.PREFIX + "model.embed_tokens.weight", f32(peft.savedEmbedding().weight()));
    }
    for (Map.Entry<String, ModulesToSaveLinear> e : peft.modulesToSave().entrySet()) {
      if (!e.getValue().owners().contains(name)) {
        continue;   // another adapter's copy
      }
      // saved without PEFT's wrapper prefix, e.g. base_model.model.lm_head.weight
      tensors.put(PeftModel.PREFIX + e.getKey() + ".weight", f32(e.getValue().copy().weight()));
      if (e.getValue().copy().bias() != null) {
        tensors.put(PeftModel.PREFIX + e.getKey() + ".bias", f32(e.getValue().copy().bias()));
      }
    }
    for (ModulesToSaveNorm n : peft.savedNorms().values()) {
      if (n.copies().containsKey(name)) {
        tensors.put(PeftModel.PREFIX + n.path() + ".weight", f32(n.copies().get(name)));
      }
    }
    ScoreHead head = peft.scoreHead(name);
    if (head != null) {
      // PEFT saves a SEQ_CLS head without its wrapper: base_model.model.score.weight
      tensors.put(PeftModel.PREFIX + ScoreHead.MODULE + ".weight", f32(head.weight()));
    }
    Files.createDirectories(dir);
    SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
    AtomicFiles.writeString(dir.resolve(CONFIG),
        HfCheckpointWriter.prettySorted(config(cfg, byLeaf(peft, leaves, paths) ? leaves : paths, ranks, alphas,
            baseModelNameOrPath, head != null)));
  }

  /**
   * Whether the leaf names select exactly {@code paths} under PEFT's suffix rule; if not (some layers
   * only, or a loaded regex selection), the config lists full module paths.
   */
  private static boolean byLeaf(PeftModel peft, TreeSet<String> leaves, TreeSet<String> paths) {
    for (String p : peft.model().linearModulePaths()) {
      if (leaves.contains(p.substring(p.lastIndexOf('.') + 1)) != paths.contains(p)) {
        return false;
      }
    }
    return true;
  }

  private static void putNumber(ObjectNode o, String key, double v) {
    if (v == Math.rint(v)) {
      o.put(key, (long) v);   // PEFT writes an int when the user gave one
    } else {
      o.put(key, v);
    }
  }

  /** PEFT's {@code modules_to_save} additions for task_type SEQ_CLS, in its order. */
  static final List<String> SEQ_CLS_MODULES = List.of("classifier", ScoreHead.MODULE);

  private static ObjectNode config(LoraConfig cfg, TreeSet<String> targets, Map<String, Double> ranks,
      Map<String, Double> alphas, String base, boolean seqCls) {
    ObjectNode c = JSON.createObjectNode();
    ObjectNode ap = c.putObject("alpha_pattern");
    alphas.forEach((k, v) -> putNumber(ap, k, v));
    c.putNull("auto_mapping");
    if (base == null) {
      c.putNull("base_model_name_or_path");
    } else {
      c.put("base_model_name_or_path", base);
    }
    c.put("bias", "none");
    c.put("fan_in_fan_out", false);
    c.put("inference_mode", true);
    if (cfg.init() == LoraInit.GAUSSIAN) {
      c.put("init_lora_weights", "gaussian");
    } else {
      c.put("init_lora_weights", true);
    }
    c.putNull("layers_pattern");
    c.putNull("layers_to_transform");
    putNumber(c, "lora_alpha", cfg.alpha());
    c.put("lora_dropout", cfg.dropout());
    LinkedHashSet<String> save = new LinkedHashSet<>(cfg.modulesToSave());
    if (seqCls) {
      save.addAll(SEQ_CLS_MODULES);   // as PEFT extends it for task_type SEQ_CLS
    }
    if (save.isEmpty()) {
      c.putNull("modules_to_save");
    } else {
      ArrayNode m = c.putArray("modules_to_save");
      save.forEach(m::add);
    }
    c.put("peft_type", "LORA");
    c.put("r", cfg.r());
    ObjectNode rp = c.putObject("rank_pattern");
    ranks.forEach((k, v) -> putNumber(rp, k, v));
    c.putNull("revision");
    ArrayNode t = c.putArray("target_modules");
    targets.forEach(t::add);
    c.put("task_type", seqCls ? "SEQ_CLS" : "CAUSAL_LM");
    c.put("use_dora", cfg.useDora());
    c.put("use_rslora", cfg.useRslora());
    return c;
  }

  private static TensorData f32(Parameter p) {
    NDArray x = p.data();
    if (!DTypeGuard.isDjlType(x)) {
      // bfloat16, a weight trained without a float32 master: saved as bfloat16, as PEFT saves an adapter
      // whose weights are bfloat16 (autocast_adapter_dtype=False)
      try (NDArray f = Kernels.get().toFloat32(x)) {
        return new TensorData(DType.BF16, x.getShape().getShape(), HostFloats.floatsToBf16Bytes(f.toFloatArray()));
      }
    }
    float[] v = (x.getDataType() == DataType.FLOAT32 ? x : dev.align4j.peft.kernels.DTypeGuard.toType(x, DataType.FLOAT32))
        .toFloatArray();
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return new TensorData(DType.F32, x.getShape().getShape(), b);
  }

  /** Reads {@code adapter_config.json} of a directory as JSON ({@code file} names it in errors). */
  static JsonNode readJson(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG);
    if (!Files.exists(file)) {
      throw new CheckpointFormatException(file, "missing");
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "not valid JSON: " + e.getMessage());
    }
  }

  /** Reads a LoRA {@code adapter_config.json} as PEFT applies it. */
  public static PeftLoraSpec readSpec(Path dir) throws IOException {
    return PeftLoraSpec.read(readJson(dir), dir.resolve(CONFIG));
  }

  /**
   * Loads a PEFT LoRA adapter from {@code dir} onto {@code peft} as adapter {@code name} and makes it
   * active: the modules PEFT would target (names, full paths, a regex, layers_to_transform,
   * layers_pattern, exclude_modules), each with its rank and alpha from rank_pattern/alpha_pattern,
   * and the modules_to_save copies. Every tensor must belong to one of these with its exact shape;
   * none may be missing.
   */
  public static void load(PeftModel peft, Path dir, String name) throws IOException {
    PeftLoraSpec spec = readSpec(dir);
    Path wfile = dir.resolve(WEIGHTS);
    if (!Files.exists(wfile)) {
      throw new CheckpointFormatException(wfile, "missing");
    }
    LinkedHashMap<String, LoraConfig> modules;
    try {
      modules = spec.resolve(peft.model().config());
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(dir.resolve(CONFIG), e.getMessage());
    }
    try (SafetensorsFile f = SafetensorsFile.open(wfile)) {
      TreeSet<String> unused = new TreeSet<>(f.tensors().keySet());
      for (String t : f.tensors().keySet()) {
        var m = NAME.matcher(t);
        if (m.matches() && !modules.containsKey(m.group(1))) {
          throw new CheckpointFormatException(wfile, "tensor '" + t + "' is for a module target_modules does not select"
              + " in this model (selected: " + modules.keySet() + ")");
        }
      }
      try {
        peft.addLora(name, spec.configFor(new ArrayList<>(modules.keySet())), modules, 0);
      } catch (IllegalArgumentException e) {
        throw new CheckpointFormatException(dir.resolve(CONFIG), e.getMessage());
      }
      // a SEQ_CLS head (score) is no linear module of the decoder: it becomes the adapter's ScoreHead
      String headTensor = PeftModel.PREFIX + ScoreHead.MODULE + ".weight";
      for (String t : f.tensors().keySet()) {
        if (t.startsWith(PeftModel.PREFIX + "classifier.")) {
          throw new CheckpointFormatException(wfile, "tensor '" + t + "': a 'classifier' head is not supported (only 'score')");
        }
      }
      if (f.tensors().containsKey(headTensor)) {
        long[] s = f.info(headTensor).shape();
        if (s.length != 2 || s[1] != peft.model().config().hiddenSize()) {
          throw new CheckpointFormatException(wfile, "tensor '" + headTensor + "' has shape " + new Shape(s)
              + " but a score head needs [num_labels, " + peft.model().config().hiddenSize() + "]");
        }
        fill(f, wfile, headTensor, peft.addScoreHead(name, (int) s[0], 0).weight(), unused);
      }
      for (String path : modules.keySet()) {
        LoraWeights w = peft.loraLayers().get(path).adapters().get(name);
        String p = PeftModel.PREFIX + path;
        fill(f, wfile, p + ".lora_A.weight", w.a(), unused);
        fill(f, wfile, p + ".lora_B.weight", w.b(), unused);
        if (w.magnitude() != null) {
          fill(f, wfile, p + ".lora_magnitude_vector", w.magnitude(), unused);
        }
      }
      for (Map.Entry<String, ModulesToSaveLinear> e : peft.modulesToSave().entrySet()) {
        fill(f, wfile, PeftModel.PREFIX + e.getKey() + ".weight", e.getValue().copy().weight(), unused);
        if (e.getValue().copy().bias() != null) {
          fill(f, wfile, PeftModel.PREFIX + e.getKey() + ".bias", e.getValue().copy().bias(), unused);
        }
      }
      if (peft.savedEmbedding() != null) {
        fill(f, wfile, PeftModel.PREFIX + "model.embed_tokens.weight", peft.savedEmbedding().weight(), unused);
      }
      for (ModulesToSaveNorm n : peft.savedNorms().values()) {
        if (n.copies().containsKey(name)) {
          fill(f, wfile, PeftModel.PREFIX + n.path() + ".weight", n.copies().get(name), unused);
        }
      }
      if (!unused.isEmpty()) {
        throw new CheckpointFormatException(wfile, "tensors align4j would not use (not LoRA tensors of a selected module"
            + " nor modules_to_save weights in PEFT's naming): " + unused);
      }
    }
  }

  private static void fill(SafetensorsFile f, Path file, String tensor, Parameter target, TreeSet<String> unused)
      throws IOException {
    unused.remove(tensor);
    if (!f.tensors().containsKey(tensor)) {
      throw new CheckpointFormatException(file, "missing tensor '" + tensor + "'");
    }
    TensorInfo info = f.info(tensor);
    Shape want = target.shape();
    if (!new Shape(info.shape()).equals(want)) {
      throw new CheckpointFormatException(file, "tensor '" + tensor + "' has shape " + new Shape(info.shape())
          + " but the base model needs " + want);
    }
    NDManager m = target.data().getManager();
    NDArray v = m.create(f.toFloatArray(tensor), want);
    target.replace(v);
  }
}
