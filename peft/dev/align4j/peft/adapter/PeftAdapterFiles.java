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
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.io.SafetensorsWriter;
import dev.align4j.peft.io.TensorData;
import dev.align4j.peft.io.TensorInfo;
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
    TreeSet<String> targets = new TreeSet<>();
    for (Map.Entry<String, LoraLinear> e : peft.loraLayers().entrySet()) {
      LoraWeights w = e.getValue().adapters().get(name);
      if (w == null) {
        continue;
      }
      String p = PeftModel.PREFIX + e.getKey();
      targets.add(e.getKey().substring(e.getKey().lastIndexOf('.') + 1));
      tensors.put(p + ".lora_A.weight", f32(w.a()));
      tensors.put(p + ".lora_B.weight", f32(w.b()));
      if (w.magnitude() != null) {
        tensors.put(p + ".lora_magnitude_vector", f32(w.magnitude()));
      }
    }
    for (Map.Entry<String, ModulesToSaveLinear> e : peft.modulesToSave().entrySet()) {
      // saved without PEFT's wrapper prefix, e.g. base_model.model.lm_head.weight
      tensors.put(PeftModel.PREFIX + e.getKey() + ".weight", f32(e.getValue().copy().weight()));
      if (e.getValue().copy().bias() != null) {
        tensors.put(PeftModel.PREFIX + e.getKey() + ".bias", f32(e.getValue().copy().bias()));
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
        HfCheckpointWriter.prettySorted(config(cfg, targets, baseModelNameOrPath, head != null)));
  }

  /** PEFT's {@code modules_to_save} additions for task_type SEQ_CLS, in its order. */
  static final List<String> SEQ_CLS_MODULES = List.of("classifier", ScoreHead.MODULE);

  private static ObjectNode config(LoraConfig cfg, TreeSet<String> targets, String base, boolean seqCls) {
    ObjectNode c = JSON.createObjectNode();
    c.putObject("alpha_pattern");
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
    if (cfg.alpha() == Math.rint(cfg.alpha())) {
      c.put("lora_alpha", (long) cfg.alpha());   // PEFT writes an int when the user gave one
    } else {
      c.put("lora_alpha", cfg.alpha());
    }
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
    c.putObject("rank_pattern");
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
    float[] v = (x.getDataType() == DataType.FLOAT32 ? x : dev.align4j.peft.kernels.DTypeGuard.toType(x, DataType.FLOAT32))
        .toFloatArray();
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return new TensorData(DType.F32, x.getShape().getShape(), b);
  }

  /** Reads {@code adapter_config.json} into a {@link LoraConfig}. */
  public static LoraConfig readConfig(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG);
    if (!Files.exists(file)) {
      throw new CheckpointFormatException(file, "missing");
    }
    JsonNode c;
    try {
      c = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "not valid JSON: " + e.getMessage());
    }
    String type = c.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new CheckpointFormatException(file, "peft_type '" + type + "' is not supported here (LORA)");
    }
    if (!c.path("r").canConvertToInt() || !c.path("lora_alpha").isNumber()) {
      throw new CheckpointFormatException(file, "r and lora_alpha must be numbers");
    }
    List<String> targets = new ArrayList<>();
    JsonNode tm = c.get("target_modules");
    if (tm != null && tm.isArray()) {
      tm.forEach(n -> targets.add(n.asText()));
    } else if (tm != null && tm.isTextual()) {
      targets.add(tm.asText().equals("all-linear") ? "all-linear" : tm.asText());
    }
    List<String> save = new ArrayList<>();
    c.path("modules_to_save").forEach(n -> save.add(n.asText()));
    try {
      return new LoraConfig(c.get("r").asInt(), c.get("lora_alpha").asDouble(), c.path("lora_dropout").asDouble(0),
          targets, "gaussian".equals(c.path("init_lora_weights").asText()) ? LoraInit.GAUSSIAN : LoraInit.KAIMING_UNIFORM,
          c.path("use_rslora").asBoolean(false), c.path("use_dora").asBoolean(false), save);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage());
    }
  }

  /**
   * Loads a PEFT LoRA adapter from {@code dir} onto {@code peft} as adapter {@code name} and makes it
   * active. Every tensor must match a module of the base and its shape; none may be missing.
   */
  public static void load(PeftModel peft, Path dir, String name) throws IOException {
    LoraConfig cfg = readConfig(dir);
    Path wfile = dir.resolve(WEIGHTS);
    if (!Files.exists(wfile)) {
      throw new CheckpointFormatException(wfile, "missing");
    }
    try (SafetensorsFile f = SafetensorsFile.open(wfile)) {
      TreeSet<String> modules = new TreeSet<>();
      for (String t : f.tensors().keySet()) {
        if (isModuleToSave(t, cfg)) {
          continue;
        }
        var m = NAME.matcher(t);
        if (!m.matches()) {
          throw new CheckpointFormatException(wfile, "tensor '" + t + "' is not a LoRA tensor in PEFT's naming");
        }
        modules.add(m.group(1));
      }
      List<String> leafNames = new ArrayList<>();
      for (String mod : modules) {
        leafNames.add(mod.substring(mod.lastIndexOf('.') + 1));
      }
      // a SEQ_CLS head (score) is no linear module of the decoder: it becomes the adapter's ScoreHead
      List<String> linearsToSave = new ArrayList<>(cfg.modulesToSave());
      linearsToSave.removeAll(SEQ_CLS_MODULES);
      String headTensor = PeftModel.PREFIX + ScoreHead.MODULE + ".weight";
      for (String t : f.tensors().keySet()) {
        if (t.startsWith(PeftModel.PREFIX + "classifier.")) {
          throw new CheckpointFormatException(wfile, "tensor '" + t + "': a 'classifier' head is not supported (only 'score')");
        }
      }
      LoraConfig exact = new LoraConfig(cfg.r(), cfg.alpha(), cfg.dropout(), new ArrayList<>(new TreeSet<>(leafNames)),
          cfg.init(), cfg.useRslora(), cfg.useDora(), linearsToSave);
      peft.addLora(name, exact, 0);
      if (f.tensors().containsKey(headTensor)) {
        long[] s = f.info(headTensor).shape();
        if (s.length != 2 || s[1] != peft.model().config().hiddenSize()) {
          throw new CheckpointFormatException(wfile, "tensor '" + headTensor + "' has shape " + new Shape(s)
              + " but a score head needs [num_labels, " + peft.model().config().hiddenSize() + "]");
        }
        fill(f, wfile, headTensor, peft.addScoreHead(name, (int) s[0], 0).weight());
      }
      for (Map.Entry<String, LoraLinear> e : peft.loraLayers().entrySet()) {
        LoraWeights w = e.getValue().adapters().get(name);
        if (w == null) {
          continue;
        }
        String p = PeftModel.PREFIX + e.getKey();
        fill(f, wfile, p + ".lora_A.weight", w.a());
        fill(f, wfile, p + ".lora_B.weight", w.b());
        if (w.magnitude() != null) {
          fill(f, wfile, p + ".lora_magnitude_vector", w.magnitude());
        }
        modules.remove(e.getKey());
      }
      if (!modules.isEmpty()) {
        throw new CheckpointFormatException(wfile, "tensors for modules the base model does not have: " + modules);
      }
      for (Map.Entry<String, ModulesToSaveLinear> e : peft.modulesToSave().entrySet()) {
        fill(f, wfile, PeftModel.PREFIX + e.getKey() + ".weight", e.getValue().copy().weight());
        if (e.getValue().copy().bias() != null) {
          fill(f, wfile, PeftModel.PREFIX + e.getKey() + ".bias", e.getValue().copy().bias());
        }
      }
    }
  }

  private static boolean isModuleToSave(String tensor, LoraConfig cfg) {
    for (String m : cfg.modulesToSave()) {
      if (tensor.endsWith("." + m + ".weight") || tensor.endsWith("." + m + ".bias")) {
        return true;
      }
    }
    return false;
  }

  private static void fill(SafetensorsFile f, Path file, String tensor, Parameter target) throws IOException {
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
